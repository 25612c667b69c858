// The authenticated user, repositories, collaborator permissions, teams and the rate limit.
import type { components } from '@octokit/openapi-types'
import {
  ApiError,
  json,
  listResult,
  notFound,
  repositoryOf,
  requireUser,
  type RouteTable,
} from '../http-util.js'
import { collaboratorPermission, privateUser, repository, simpleUser } from '../shapes.js'

type Schemas = components['schemas']

export const RATE_LIMIT = 5000

export const repoRoutes: RouteTable = {
  'users/get-authenticated': async (ctx) => {
    const user = requireUser(ctx)
    // An installation token (Actions' GITHUB_TOKEN) is not a user: GitHub refuses it here.
    if (user.type === 'Bot') throw new ApiError(403, 'Resource not accessible by integration')
    return json(privateUser(ctx.hub, user))
  },

  'rate-limit/get': async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600
    const core: Schemas['rate-limit'] = { limit: RATE_LIMIT, remaining: RATE_LIMIT - 1, reset, used: 1 }
    const search: Schemas['rate-limit'] = { limit: 30, remaining: 30, reset, used: 0 }
    const overview: Schemas['rate-limit-overview'] = { resources: { core, search }, rate: core }
    return json(overview)
  },

  'repos/get': async (ctx) => json(repository(ctx.hub, repositoryOf(ctx), ctx.user)),

  'repos/get-collaborator-permission-level': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = ctx.hub.findUser(ctx.params.username ?? '')
    if (!user) throw notFound()
    return json(collaboratorPermission(ctx.hub, repo, user))
  },

  'teams/get-membership-for-user-in-org': async (ctx) => {
    const team = ctx.hub.findTeam(ctx.params.org ?? '', ctx.params.team_slug ?? '')
    const login = (ctx.params.username ?? '').toLowerCase()
    if (!team || !team.members.some((member) => member.toLowerCase() === login)) throw notFound()
    const membership: Schemas['team-membership'] = {
      url: `${ctx.hub.apiUrl}/organizations/${team.org}/team/${team.slug}/memberships/${ctx.params.username ?? ''}`,
      role: 'member',
      state: 'active',
    }
    return json(membership)
  },

  'teams/list-members-in-org': async (ctx) => {
    const team = ctx.hub.findTeam(ctx.params.org ?? '', ctx.params.team_slug ?? '')
    if (!team) throw notFound()
    return listResult(ctx, team.members, (login) => simpleUser(ctx.hub, login))
  },
}
