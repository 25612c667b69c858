// Every implemented operation, by GitHub's operationId.
import type { RouteTable } from '../http-util.js'
import { checkRoutes } from './checks.js'
import { contentRoutes } from './contents.js'
import { gitRoutes } from './git.js'
import { issueRoutes } from './issues.js'
import { pullRoutes } from './pulls.js'
import { releaseRoutes } from './releases.js'
import { repoRoutes } from './repos.js'
import { dispatchRoutes } from '../workflows/dispatch-route.js'

export const routes: RouteTable = {
  ...repoRoutes,
  ...gitRoutes,
  ...contentRoutes,
  ...pullRoutes,
  ...issueRoutes,
  ...releaseRoutes,
  ...checkRoutes,
  ...dispatchRoutes,
}
