// Renders records and git objects in GitHub's response shapes, typed by GitHub's own description.
import type { components } from '@octokit/openapi-types'
import type { CommitObject, FileChange } from './git-plumbing.js'
import { hasPermission } from './http-util.js'
import type { Hub } from './hub.js'
import type {
  AssetRecord,
  CheckRunRecord,
  CommentRecord,
  IssueRecord,
  LabelRecord,
  Permission,
  ReleaseRecord,
  RepositoryRecord,
  ReviewRecord,
  StatusRecord,
  TeamRecord,
  UserRecord,
} from './types.js'

type Schemas = components['schemas']
export type SimpleUser = Schemas['simple-user']
export type FullRepository = Schemas['full-repository']
export type PullRequest = Schemas['pull-request']
export type PullRequestSimple = Schemas['pull-request-simple']

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64').replace(/=+$/, '')
}

export function simpleUser(hub: Hub, login: string): SimpleUser {
  const user = hub.findUser(login)
  const name = user?.login ?? login
  const api = `${hub.apiUrl}/users/${name}`
  return {
    login: name,
    id: user?.id ?? 0,
    node_id: nodeId('User', user?.id ?? name),
    avatar_url: `${hub.webUrl}/avatars/${name}`,
    gravatar_id: '',
    url: api,
    html_url: `${hub.webUrl}/${name}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user?.type ?? 'User',
    site_admin: false,
    user_view_type: 'public',
  }
}

export function privateUser(hub: Hub, user: UserRecord): Schemas['private-user'] {
  return {
    ...simpleUser(hub, user.login),
    name: user.name,
    company: null,
    blog: '',
    location: null,
    email: user.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2020-01-01T00:00:00Z',
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  }
}

function permissionFlags(permission: Permission | null) {
  return {
    admin: hasPermission(permission, 'admin'),
    maintain: hasPermission(permission, 'maintain'),
    push: hasPermission(permission, 'write'),
    triage: hasPermission(permission, 'triage'),
    pull: permission !== null,
  }
}

export function repository(
  hub: Hub,
  repo: RepositoryRecord,
  viewer: UserRecord | null = null,
): FullRepository {
  const base = repositorySummary(hub, repo, viewer)
  return {
    ...base,
    has_discussions: false,
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    subscribers_count: 0,
    network_count: 0,
  }
}

/** The repository as pull requests embed it. */
export function repositorySummary(
  hub: Hub,
  repo: RepositoryRecord,
  viewer: UserRecord | null = null,
): Schemas['repository'] {
  const full = `${repo.owner}/${repo.name}`
  const api = `${hub.apiUrl}/repos/${full}`
  const openIssues = repo.issues.filter((issue) => issue.state === 'open').length
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: full,
    owner: simpleUser(hub, repo.owner),
    private: false,
    html_url: `${hub.webUrl}/${full}`,
    description: repo.description,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://127.0.0.1/${full}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@127.0.0.1:${full}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${hub.webUrl}/${full}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: `${hub.webUrl}/${full}`,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: openIssues,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'public',
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    ...(viewer ? { permissions: permissionFlags(hub.permissionOf(viewer.login, repo)) } : {}),
    allow_rebase_merge: true,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
  }
}

export function collaboratorPermission(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
): Schemas['repository-collaborator-permission'] {
  const permission = hub.permissionOf(user.login, repo)
  return {
    permission: permission ?? 'none',
    role_name: permission ?? 'none',
    user: {
      ...simpleUser(hub, user.login),
      permissions: permissionFlags(permission),
      role_name: permission ?? 'none',
    },
  }
}

export function label(hub: Hub, repo: RepositoryRecord, record: LabelRecord): Schemas['label'] {
  return {
    id: record.id,
    node_id: nodeId('Label', record.id),
    url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(record.name)}`,
    name: record.name,
    description: record.description,
    color: record.color,
    default: record.default,
  }
}

export function issueLabels(hub: Hub, repo: RepositoryRecord, issue: IssueRecord): Schemas['label'][] {
  return issue.labels.flatMap((name) => {
    const record = repo.labels.find((candidate) => candidate.name === name)
    return record ? [label(hub, repo, record)] : []
  })
}

function issueUrls(hub: Hub, repo: RepositoryRecord, number: number) {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/issues/${number}`
  return { api, html: `${hub.webUrl}/${repo.owner}/${repo.name}/issues/${number}` }
}

export function issue(hub: Hub, repo: RepositoryRecord, record: IssueRecord): Schemas['issue'] {
  const urls = issueUrls(hub, repo, record.number)
  const pullHtml = `${hub.webUrl}/${repo.owner}/${repo.name}/pull/${record.number}`
  return {
    id: record.id,
    node_id: nodeId(record.pull ? 'PullRequest' : 'Issue', record.id),
    url: urls.api,
    repository_url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`,
    labels_url: `${urls.api}/labels{/name}`,
    comments_url: `${urls.api}/comments`,
    events_url: `${urls.api}/events`,
    html_url: record.pull ? pullHtml : urls.html,
    number: record.number,
    state: record.state,
    state_reason: record.stateReason,
    title: record.title,
    body: record.body,
    user: simpleUser(hub, record.user),
    labels: issueLabels(hub, repo, record),
    assignee: record.assignees[0] ? simpleUser(hub, record.assignees[0]) : null,
    assignees: record.assignees.map((login) => simpleUser(hub, login)),
    milestone: null,
    locked: record.locked,
    active_lock_reason: null,
    comments: repo.comments.filter((comment) => comment.issueNumber === record.number).length,
    ...(record.pull
      ? {
          pull_request: {
            merged_at: record.pull.mergedAt,
            diff_url: `${pullHtml}.diff`,
            html_url: pullHtml,
            patch_url: `${pullHtml}.patch`,
            url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/pulls/${record.number}`,
          },
          draft: record.pull.draft,
        }
      : {}),
    closed_at: record.closedAt,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    closed_by: record.closedBy ? simpleUser(hub, record.closedBy) : null,
    author_association: authorAssociation(hub, repo, record.user),
    timeline_url: `${urls.api}/timeline`,
  }
}

export function authorAssociation(
  hub: Hub,
  repo: RepositoryRecord,
  login: string,
): Schemas['author-association'] {
  if (login.toLowerCase() === repo.owner.toLowerCase()) return 'OWNER'
  const permission = hub.permissionOf(login, repo)
  return permission === 'admin' || permission === 'write' ? 'COLLABORATOR' : 'CONTRIBUTOR'
}

export function issueComment(
  hub: Hub,
  repo: RepositoryRecord,
  record: CommentRecord,
): Schemas['issue-comment'] {
  const base = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/issues`
  const issueRecord = repo.issues.find((candidate) => candidate.number === record.issueNumber)
  const kind = issueRecord?.pull ? 'pull' : 'issues'
  return {
    id: record.id,
    node_id: nodeId('IssueComment', record.id),
    url: `${base}/comments/${record.id}`,
    html_url: `${hub.webUrl}/${repo.owner}/${repo.name}/${kind}/${record.issueNumber}#issuecomment-${record.id}`,
    body: record.body,
    user: simpleUser(hub, record.user),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    issue_url: `${base}/${record.issueNumber}`,
    author_association: authorAssociation(hub, repo, record.user),
  }
}

function link(href: string): Schemas['link'] {
  return { href }
}

export interface PullRender {
  baseSha: string
  mergeable: boolean | null
  mergeableState: string
  commits: number
  additions: number
  deletions: number
  changedFiles: number
}

export function pullRequestSimple(
  hub: Hub,
  repo: RepositoryRecord,
  record: IssueRecord,
  baseSha: string,
): PullRequestSimple {
  const pull = record.pull
  if (!pull) throw new Error(`#${record.number} is not a pull request`)
  const full = `${repo.owner}/${repo.name}`
  const api = `${hub.apiUrl}/repos/${full}/pulls/${record.number}`
  const html = `${hub.webUrl}/${full}/pull/${record.number}`
  const issueApi = `${hub.apiUrl}/repos/${full}/issues/${record.number}`
  const repoShape = repositorySummary(hub, repo)
  const owner = simpleUser(hub, repo.owner)
  return {
    url: api,
    id: record.id,
    node_id: nodeId('PullRequest', record.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueApi,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${hub.apiUrl}/repos/${full}/pulls/comments{/number}`,
    comments_url: `${issueApi}/comments`,
    statuses_url: `${hub.apiUrl}/repos/${full}/statuses/${pull.headSha}`,
    number: record.number,
    state: record.state,
    locked: record.locked,
    title: record.title,
    user: simpleUser(hub, record.user),
    body: record.body,
    labels: issueLabels(hub, repo, record).map((l) => ({ ...l, description: l.description ?? '' })),
    milestone: null,
    active_lock_reason: null,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    closed_at: record.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: record.assignees[0] ? simpleUser(hub, record.assignees[0]) : null,
    assignees: record.assignees.map((login) => simpleUser(hub, login)),
    requested_reviewers: pull.requestedReviewers.map((login) => simpleUser(hub, login)),
    requested_teams: pull.requestedTeams.flatMap((slug) => {
      const team = hub.findTeam(repo.owner, slug)
      return team ? [teamShape(hub, team)] : []
    }),
    head: {
      label: `${repo.owner}:${pull.headRef}`,
      ref: pull.headRef,
      repo: repoShape,
      sha: pull.headSha,
      user: owner,
    },
    base: {
      label: `${repo.owner}:${pull.baseRef}`,
      ref: pull.baseRef,
      repo: repoShape,
      sha: baseSha,
      user: owner,
    },
    _links: {
      comments: link(`${issueApi}/comments`),
      commits: link(`${api}/commits`),
      statuses: link(`${hub.apiUrl}/repos/${full}/statuses/${pull.headSha}`),
      html: link(html),
      issue: link(issueApi),
      review_comments: link(`${api}/comments`),
      review_comment: link(`${hub.apiUrl}/repos/${full}/pulls/comments{/number}`),
      self: link(api),
    },
    author_association: authorAssociation(hub, repo, record.user),
    auto_merge: null,
    draft: pull.draft,
  }
}

export function pullRequest(
  hub: Hub,
  repo: RepositoryRecord,
  record: IssueRecord,
  render: PullRender,
): PullRequest {
  const simple = pullRequestSimple(hub, repo, record, render.baseSha)
  const pull = record.pull
  if (!pull) throw new Error(`#${record.number} is not a pull request`)
  return {
    ...simple,
    state: record.state,
    user: simpleUser(hub, record.user),
    labels: issueLabels(hub, repo, record),
    requested_teams: pull.requestedTeams.flatMap((slug) => {
      const team = hub.findTeam(repo.owner, slug)
      return team ? [teamShape(hub, team)] : []
    }),
    head: { ...simple.head, user: simpleUser(hub, repo.owner) },
    base: { ...simple.base, user: simpleUser(hub, repo.owner) },
    merged: pull.merged,
    mergeable: render.mergeable,
    rebaseable: render.mergeable,
    mergeable_state: render.mergeableState,
    merged_by: pull.mergedBy ? simpleUser(hub, pull.mergedBy) : null,
    comments: repo.comments.filter((comment) => comment.issueNumber === record.number).length,
    review_comments: 0,
    maintainer_can_modify: pull.maintainerCanModify,
    commits: render.commits,
    additions: render.additions,
    deletions: render.deletions,
    changed_files: render.changedFiles,
  }
}

export function teamShape(hub: Hub, team: TeamRecord): Schemas['team'] {
  const api = `${hub.apiUrl}/orgs/${team.org}/teams/${team.slug}`
  const id = hub.teams.indexOf(team) + 1
  return {
    id,
    node_id: nodeId('Team', id),
    url: api,
    html_url: `${hub.webUrl}/orgs/${team.org}/teams/${team.slug}`,
    name: team.slug,
    slug: team.slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${api}/members{/member}`,
    repositories_url: `${api}/repos`,
    parent: null,
    type: 'organization',
  }
}

export function review(
  hub: Hub,
  repo: RepositoryRecord,
  record: ReviewRecord,
): Schemas['pull-request-review'] {
  const full = `${repo.owner}/${repo.name}`
  const html = `${hub.webUrl}/${full}/pull/${record.pullNumber}#pullrequestreview-${record.id}`
  const pullUrl = `${hub.apiUrl}/repos/${full}/pulls/${record.pullNumber}`
  return {
    id: record.id,
    node_id: nodeId('PullRequestReview', record.id),
    user: simpleUser(hub, record.user),
    body: record.body,
    state: record.state,
    html_url: html,
    pull_request_url: pullUrl,
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    ...(record.submittedAt ? { submitted_at: record.submittedAt } : {}),
    commit_id: record.commitId,
    author_association: authorAssociation(hub, repo, record.user),
  }
}

export function gitRef(
  hub: Hub,
  repo: RepositoryRecord,
  ref: string,
  sha: string,
  type: string,
): Schemas['git-ref'] {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`
  const objectPath = type === 'tag' ? 'git/tags' : type === 'commit' ? 'git/commits' : `git/${type}s`
  return {
    ref,
    node_id: nodeId('Ref', `${repo.id}:${ref}`),
    url: `${api}/git/${ref}`,
    object: { type, sha, url: `${api}/${objectPath}/${sha}` },
  }
}

function verification(): Schemas['verification'] {
  return { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
}

export function gitCommit(hub: Hub, repo: RepositoryRecord, commit: CommitObject): Schemas['git-commit'] {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${hub.webUrl}/${repo.owner}/${repo.name}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${hub.webUrl}/${repo.owner}/${repo.name}/commit/${sha}`,
    })),
    verification: verification(),
  }
}

function userByEmail(hub: Hub, email: string): SimpleUser | null {
  for (const user of hub.users.values()) {
    if (user.email.toLowerCase() === email.toLowerCase()) return simpleUser(hub, user.login)
  }
  return null
}

export function commit(
  hub: Hub,
  repo: RepositoryRecord,
  record: CommitObject,
  files?: FileChange[],
): Schemas['commit'] {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`
  const html = `${hub.webUrl}/${repo.owner}/${repo.name}/commit`
  const shape: Schemas['commit'] = {
    url: `${api}/commits/${record.sha}`,
    sha: record.sha,
    node_id: nodeId('Commit', record.sha),
    html_url: `${html}/${record.sha}`,
    comments_url: `${api}/commits/${record.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${record.sha}`,
      author: record.author,
      committer: record.committer,
      message: record.message,
      comment_count: 0,
      tree: { sha: record.tree, url: `${api}/git/trees/${record.tree}` },
      verification: verification(),
    },
    author: userByEmail(hub, record.author.email),
    committer: userByEmail(hub, record.committer.email),
    parents: record.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${html}/${sha}` })),
  }
  if (files) {
    const additions = files.reduce((sum, file) => sum + file.additions, 0)
    const deletions = files.reduce((sum, file) => sum + file.deletions, 0)
    shape.stats = { additions, deletions, total: additions + deletions }
    shape.files = files.map((file) => diffEntry(hub, repo, record.sha, file))
  }
  return shape
}

export function diffEntry(
  hub: Hub,
  repo: RepositoryRecord,
  ref: string,
  file: FileChange,
): Schemas['diff-entry'] {
  const path = file.filename.split('/').map(encodeURIComponent).join('/')
  const entry: Schemas['diff-entry'] = {
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${hub.webUrl}/${repo.owner}/${repo.name}/blob/${ref}/${path}`,
    raw_url: `${hub.webUrl}/${repo.owner}/${repo.name}/raw/${ref}/${path}`,
    contents_url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/contents/${path}?ref=${ref}`,
  }
  if (file.patch !== null) entry.patch = file.patch
  if (file.previousFilename !== null) entry.previous_filename = file.previousFilename
  return entry
}

export function contentLinks(
  hub: Hub,
  repo: RepositoryRecord,
  path: string,
  ref: string,
  sha: string,
  type: string,
) {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`
  const encoded = path.split('/').map(encodeURIComponent).join('/')
  const self = `${api}/contents/${encoded}?ref=${encodeURIComponent(ref)}`
  const git = `${api}/git/${type === 'dir' ? 'trees' : 'blobs'}/${sha}`
  const html = `${hub.webUrl}/${repo.owner}/${repo.name}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${encoded}`
  return {
    url: self,
    git_url: git,
    html_url: html,
    download_url: type === 'file' ? `${hub.webUrl}/${repo.owner}/${repo.name}/raw/${ref}/${encoded}` : null,
    _links: { self, git, html },
  }
}

export function release(hub: Hub, repo: RepositoryRecord, record: ReleaseRecord): Schemas['release'] {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/releases/${record.id}`
  const web = `${hub.webUrl}/${repo.owner}/${repo.name}`
  return {
    url: api,
    html_url: `${web}/releases/${record.draft ? `untagged-${record.id}` : `tag/${encodeURIComponent(record.tagName)}`}`,
    assets_url: `${api}/assets`,
    upload_url: `${hub.webUrl}/api/uploads/repos/${repo.owner}/${repo.name}/releases/${record.id}/assets{?name,label}`,
    tarball_url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/tarball/${encodeURIComponent(record.tagName)}`,
    zipball_url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/zipball/${encodeURIComponent(record.tagName)}`,
    id: record.id,
    node_id: nodeId('Release', record.id),
    tag_name: record.tagName,
    target_commitish: record.targetCommitish,
    name: record.name,
    body: record.body,
    draft: record.draft,
    prerelease: record.prerelease,
    immutable: record.immutable,
    created_at: record.createdAt,
    published_at: record.publishedAt,
    updated_at: record.publishedAt ?? record.createdAt,
    author: simpleUser(hub, record.author),
    assets: repo.assets
      .filter((asset) => asset.releaseId === record.id)
      .map((asset) => releaseAsset(hub, repo, asset)),
  }
}

export function releaseAsset(
  hub: Hub,
  repo: RepositoryRecord,
  record: AssetRecord,
): Schemas['release-asset'] {
  const releaseRecord = repo.releases.find((candidate) => candidate.id === record.releaseId)
  const tag = encodeURIComponent(releaseRecord?.tagName ?? '')
  return {
    url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/releases/assets/${record.id}`,
    browser_download_url: `${hub.webUrl}/${repo.owner}/${repo.name}/releases/download/${tag}/${encodeURIComponent(record.name)}`,
    id: record.id,
    node_id: nodeId('ReleaseAsset', record.id),
    name: record.name,
    label: record.label,
    state: 'uploaded',
    content_type: record.contentType,
    size: record.size,
    digest: record.digest,
    download_count: 0,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    uploader: simpleUser(hub, record.uploader),
  }
}

export function checkRun(hub: Hub, repo: RepositoryRecord, record: CheckRunRecord): Schemas['check-run'] {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/check-runs/${record.id}`
  return {
    id: record.id,
    head_sha: record.headSha,
    node_id: nodeId('CheckRun', record.id),
    external_id: record.externalId,
    url: api,
    html_url: `${hub.webUrl}/${repo.owner}/${repo.name}/runs/${record.id}`,
    details_url: record.detailsUrl,
    status: record.status,
    conclusion: record.conclusion as Schemas['check-run']['conclusion'],
    started_at: record.startedAt,
    completed_at: record.completedAt,
    output: {
      title: record.title,
      summary: record.summary,
      text: record.text,
      annotations_count: record.annotations.length,
      annotations_url: `${api}/annotations`,
    },
    name: record.name,
    check_suite: { id: record.id },
    app: null,
    pull_requests: [],
  }
}

export function commitStatus(hub: Hub, repo: RepositoryRecord, record: StatusRecord): Schemas['status'] {
  return {
    url: `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/statuses/${record.sha}`,
    avatar_url: null,
    id: record.id,
    node_id: nodeId('StatusContext', record.id),
    state: record.state,
    description: record.description,
    target_url: record.targetUrl,
    context: record.context,
    created_at: record.createdAt,
    updated_at: record.createdAt,
    creator: simpleUser(hub, record.creator),
  }
}
