// The authenticated user, repositories, collaborator permissions, teams and the rate limit.
import type { components } from '@octokit/openapi-types'
import {
  ApiError,
  json,
  listResult,
  notFound,
  repositoryOf,
  requireUser,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import { collaboratorPermission, privateUser, repository, simpleUser } from '../shapes.js'

type Schemas = components['schemas']

export const RATE_LIMIT = 5000

/**
 * Team membership is readable only by the organization's members, or by an App granted the organization
 * permission "Members: read" ("Permissions required for GitHub Apps": Teams endpoints need Members). Actions'
 * GITHUB_TOKEN has no organization permissions: 403. Someone outside the organization does not see its teams: 404.
 */
function requireTeamReader(ctx: ApiContext): void {
  const user = requireUser(ctx)
  const org = (ctx.params.org ?? '').toLowerCase()
  if (user.type === 'Bot') {
    if (!user.readsOrgMembers) throw new ApiError(403, 'Resource not accessible by integration')
    return
  }
  const member = ctx.hub.teams.some(
    (team) => team.org.toLowerCase() === org && team.members.some((m) => m.toLowerCase() === user.login.toLowerCase()),
  )
  if (!member && user.login.toLowerCase() !== org) throw notFound()
}

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
    requireTeamReader(ctx)
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
    requireTeamReader(ctx)
    const team = ctx.hub.findTeam(ctx.params.org ?? '', ctx.params.team_slug ?? '')
    if (!team) throw notFound()
    return listResult(ctx, team.members, (login) => simpleUser(ctx.hub, login))
  },
}
