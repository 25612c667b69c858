// Real git on bare repositories, through plumbing commands only (no working tree, except a
// short-lived worktree to replay commits for rebase merges).
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export const ZERO_SHA = '0000000000000000000000000000000000000000'
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

/**
 * Asks the local GitHub whether it accepts the pushed ref changes (branch protection, rulesets): posts git's
 * "old new ref" lines to LOCAL_GITHUB_PUSH_CHECK_URL (set per push by the git HTTP handler) and prints the
 * refusal it answers, which git shows after `remote: `. An empty answer accepts the push.
 */
const PUSH_CHECK_SCRIPT = `
const { execFileSync } = require('node:child_process')
const ZERO = '0'.repeat(40)
let input = ''
process.stdin.on('data', (chunk) => { input += chunk })
process.stdin.on('end', async () => {
  // Fast-forward or not is answered here, where git's quarantined new objects are visible.
  const lines = input.split('\\n').filter(Boolean).map((line) => {
    const [before, after] = line.split(' ')
    if (before === ZERO || after === ZERO) return line + ' ff'
    try { execFileSync('git', ['merge-base', '--is-ancestor', before, after]); return line + ' ff' } catch { return line + ' forced' }
  })
  const answer = await (await fetch(process.env.LOCAL_GITHUB_PUSH_CHECK_URL, { method: 'POST', body: lines.join('\\n') })).text()
  if (answer) process.stderr.write(answer.endsWith('\\n') ? answer : answer + '\\n')
  process.exit(answer ? 1 : 0)
})
`
const PRE_RECEIVE_HOOK = `#!/bin/sh
[ -z "$LOCAL_GITHUB_PUSH_CHECK_URL" ] && exit 0
# curl starts in milliseconds; node (always there, since the server runs in it) when curl is missing.
command -v curl >/dev/null 2>&1 || exec "$LOCAL_GITHUB_NODE" -e "$LOCAL_GITHUB_PUSH_CHECK_SCRIPT"
zero=0000000000000000000000000000000000000000
lines=""
while read old new ref; do
  ff=ff
  if [ "$old" != "$zero" ] && [ "$new" != "$zero" ]; then
    git merge-base --is-ancestor "$old" "$new" 2>/dev/null || ff=forced
  fi
  lines="$lines$old $new $ref $ff
"
done
answer=$(printf '%s' "$lines" | curl -sS --data-binary @- "$LOCAL_GITHUB_PUSH_CHECK_URL") || {
  echo "error: the local GitHub did not answer the push check" >&2
  exit 1
}
[ -z "$answer" ] && exit 0
printf '%s\\n' "$answer" >&2
exit 1
`

/** The environment git's pre-receive hook needs to ask `url` about a push. */
export function pushCheckEnv(url: string): Record<string, string> {
  return {
    LOCAL_GITHUB_PUSH_CHECK_URL: url,
    LOCAL_GITHUB_NODE: process.execPath,
    LOCAL_GITHUB_PUSH_CHECK_SCRIPT: PUSH_CHECK_SCRIPT,
  }
}

export interface GitResult {
  exitCode: number
  stdout: Buffer
  stderr: string
}

export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly result: GitResult,
  ) {
    super(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`)
  }
}

/** An environment that ignores the machine's global and system git configuration. */
export function isolatedGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    ...extra,
  }
}

export function runGit(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Buffer | string } = {},
): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: options.env ?? isolatedGitEnv() })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      resolvePromise({
        exitCode: code ?? 1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString(),
      })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

export interface Identity {
  name: string
  email: string
  /** ISO date; now when omitted. */
  date?: string
}

export interface Signature {
  name: string
  email: string
  date: string
}

export interface CommitObject {
  sha: string
  tree: string
  parents: string[]
  author: Signature
  committer: Signature
  message: string
}

export interface TagObject {
  sha: string
  object: string
  type: string
  tag: string
  tagger: Signature | null
  message: string
}

export interface TreeEntry {
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
  path: string
  size: number | null
}

export interface FileChange {
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed'
  filename: string
  previousFilename: string | null
  /** Blob sha of the new side (of the old side for removals). */
  sha: string
  additions: number
  deletions: number
  patch: string | null
}

export interface TreeChange {
  path: string
  mode: string
  /** New blob/tree sha, or null to delete the path. */
  sha: string | null
}

export type MergeTreeResult = { clean: true; tree: string } | { clean: false; conflicts: string[] }

function parseSignature(line: string): Signature {
  const match = /^(.*) <([^>]*)> (\d+) ([+-])(\d\d)(\d\d)$/.exec(line)
  if (!match) return { name: line, email: '', date: new Date(0).toISOString() }
  const [, name = '', email = '', seconds = '0'] = match
  return { name, email, date: new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }
}

function gitDate(date: string | undefined): string {
  const ms = date === undefined ? Date.now() : Date.parse(date)
  return `${Math.floor(ms / 1000)} +0000`
}

function parseHeaders(text: string): { headers: [string, string][]; message: string } {
  const split = text.indexOf('\n\n')
  const head = split === -1 ? text : text.slice(0, split)
  const message = split === -1 ? '' : text.slice(split + 2)
  const headers: [string, string][] = []
  for (const line of head.split('\n')) {
    if (line.startsWith(' ') && headers.length > 0) {
      const last = headers[headers.length - 1]
      if (last) last[1] += `\n${line.slice(1)}`
      continue
    }
    const space = line.indexOf(' ')
    headers.push([line.slice(0, space), line.slice(space + 1)])
  }
  return { headers, message }
}

const FULL_SHA = /^[0-9a-f]{40}$/

/** A bare repository on disk. */
export class BareRepository {
  /** Results that only depend on immutable objects (named by full shas), computed once. */
  private readonly memo = new Map<string, Promise<unknown>>()
  private readonly types = new Map<string, string>()

  constructor(readonly gitDir: string) {}

  private remember<T>(shas: string[], key: string, compute: () => Promise<T>): Promise<T> {
    if (!shas.every((sha) => FULL_SHA.test(sha))) return compute()
    let result = this.memo.get(key) as Promise<T> | undefined
    if (!result) {
      result = compute()
      this.memo.set(key, result)
      result.catch(() => this.memo.delete(key))
    }
    return result
  }

  async git(
    args: string[],
    options: { input?: Buffer | string; env?: Record<string, string>; okExitCodes?: number[] } = {},
  ): Promise<GitResult> {
    const result = await runGit(args, {
      env: isolatedGitEnv({ GIT_DIR: this.gitDir, ...options.env }),
      input: options.input,
    })
    if (result.exitCode !== 0 && !(options.okExitCodes ?? []).includes(result.exitCode)) {
      throw new GitCommandError(args, result)
    }
    return result
  }

  private async text(args: string[], input?: string): Promise<string> {
    return (await this.git(args, { input })).stdout.toString().trim()
  }

  static async init(gitDir: string, defaultBranch: string): Promise<BareRepository> {
    await mkdir(dirname(gitDir), { recursive: true })
    const result = await runGit(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, gitDir])
    if (result.exitCode !== 0) throw new GitCommandError(['init'], result)
    const repo = new BareRepository(gitDir)
    await mkdir(join(gitDir, 'hooks'), { recursive: true })
    await writeFile(join(gitDir, 'hooks', 'pre-receive'), PRE_RECEIVE_HOOK, { mode: 0o755 })
    await repo.git(['config', 'http.receivepack', 'true'])
    await repo.git(['config', 'uploadpack.allowAnySHA1InWant', 'true'])
    return repo
  }

  /** Resolves a revision to a full sha, or null. `peel` dereferences tags to the named object type. */
  async resolve(revision: string, peel?: 'commit' | 'tree'): Promise<string | null> {
    if (revision.startsWith('-')) return null
    const spec = peel ? `${revision}^{${peel}}` : revision
    const result = await this.git(['rev-parse', '--verify', '--quiet', '--end-of-options', spec], {
      okExitCodes: [1, 128],
    })
    return result.exitCode === 0 ? result.stdout.toString().trim() : null
  }

  /** The object a ref points to, for exactly this ref name (no revision syntax), or null. */
  async readRef(ref: string): Promise<string | null> {
    if (!ref.startsWith('refs/')) return null
    const result = await this.git(['show-ref', '--verify', '--hash', '--', ref], { okExitCodes: [1, 128] })
    return result.exitCode === 0 ? result.stdout.toString().trim() : null
  }

  /** Resolves what GitHub accepts as a commitish: sha, branch, tag, or full ref. */
  async resolveCommitish(name: string): Promise<string | null> {
    for (const candidate of [name, `refs/heads/${name}`, `refs/tags/${name}`]) {
      if (candidate === name && !/^[0-9a-f]{4,40}$/.test(name) && !name.startsWith('refs/')) continue
      const sha = await this.resolve(candidate, 'commit')
      if (sha) return sha
    }
    return null
  }

  async objectType(sha: string): Promise<string | null> {
    const known = this.types.get(sha)
    if (known) return known
    const result = await this.git(['cat-file', '-t', '--', sha], { okExitCodes: [128] })
    if (result.exitCode !== 0) return null
    const type = result.stdout.toString().trim()
    // An object's type never changes; a missing object may appear later, so only hits are kept.
    if (FULL_SHA.test(sha)) this.types.set(sha, type)
    return type
  }

  async listRefs(): Promise<{ ref: string; sha: string; type: string }[]> {
    const out = await this.text(['for-each-ref', '--format=%(refname) %(objectname) %(objecttype)'])
    if (out === '') return []
    return out.split('\n').map((line) => {
      const [ref = '', sha = '', type = ''] = line.split(' ')
      return { ref, sha, type }
    })
  }

  async isValidRefName(ref: string): Promise<boolean> {
    const result = await this.git(['check-ref-format', ref], { okExitCodes: [1] })
    return result.exitCode === 0
  }

  /** Compare-and-swap: `expectedOld` null means the ref must not exist yet. */
  async updateRef(ref: string, newSha: string, expectedOld: string | null): Promise<boolean> {
    const result = await this.git(['update-ref', ref, newSha, expectedOld ?? ZERO_SHA], {
      okExitCodes: [1, 128],
    })
    return result.exitCode === 0
  }

  async deleteRef(ref: string, expectedOld: string): Promise<boolean> {
    const result = await this.git(['update-ref', '-d', ref, expectedOld], { okExitCodes: [1, 128] })
    return result.exitCode === 0
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.remember([ancestor, descendant], `is-ancestor ${ancestor} ${descendant}`, async () => {
      const result = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], {
        okExitCodes: [1],
      })
      return result.exitCode === 0
    })
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    return this.remember([a, b], `merge-base ${a} ${b}`, async () => {
      const result = await this.git(['merge-base', a, b], { okExitCodes: [1] })
      return result.exitCode === 0 ? result.stdout.toString().trim() : null
    })
  }

  /** A real three-way merge without a working tree (`git merge-tree --write-tree`). */
  mergeTree(ours: string, theirs: string): Promise<MergeTreeResult> {
    return this.remember([ours, theirs], `merge-tree ${ours} ${theirs}`, () =>
      this.computeMergeTree(ours, theirs),
    )
  }

  private async computeMergeTree(ours: string, theirs: string): Promise<MergeTreeResult> {
    const result = await this.git(
      ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs],
      {
        okExitCodes: [1],
      },
    )
    const lines = result.stdout.toString().trim().split('\n')
    const tree = lines[0] ?? ''
    if (result.exitCode === 0) return { clean: true, tree }
    return { clean: false, conflicts: lines.slice(1).filter((line) => line !== '') }
  }

  async commitTree(
    tree: string,
    parents: string[],
    message: string,
    author: Identity,
    committer: Identity,
  ): Promise<string> {
    const args = ['commit-tree', tree, ...parents.flatMap((parent) => ['-p', parent])]
    const result = await this.git(args, {
      input: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: gitDate(author.date),
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: gitDate(committer.date),
      },
    })
    return result.stdout.toString().trim()
  }

  /** Writes an annotated tag object (`git mktag`), returning its sha. */
  async makeTag(
    object: string,
    type: string,
    tag: string,
    tagger: Identity,
    message: string,
  ): Promise<string> {
    const body = message.endsWith('\n') || message === '' ? message : `${message}\n`
    const content = `object ${object}\ntype ${type}\ntag ${tag}\ntagger ${tagger.name} <${tagger.email}> ${gitDate(tagger.date)}\n\n${body}`
    return this.text(['mktag'], content)
  }

  async readObject(sha: string): Promise<{ type: string; content: Buffer } | null> {
    const type = await this.objectType(sha)
    if (!type) return null
    const result = await this.git(['cat-file', type, sha])
    return { type, content: result.stdout }
  }

  readCommit(sha: string): Promise<CommitObject | null> {
    return this.remember([sha], `commit ${sha}`, () => this.computeReadCommit(sha))
  }

  private async computeReadCommit(sha: string): Promise<CommitObject | null> {
    const object = await this.readObject(sha)
    if (!object || object.type !== 'commit') return null
    const { headers, message } = parseHeaders(object.content.toString())
    const value = (key: string) => headers.find(([k]) => k === key)?.[1] ?? ''
    return {
      sha,
      tree: value('tree'),
      parents: headers.filter(([k]) => k === 'parent').map(([, v]) => v),
      author: parseSignature(value('author')),
      committer: parseSignature(value('committer')),
      message: message.replace(/\n$/, ''),
    }
  }

  async readTag(sha: string): Promise<TagObject | null> {
    const object = await this.readObject(sha)
    if (!object || object.type !== 'tag') return null
    const { headers, message } = parseHeaders(object.content.toString())
    const value = (key: string) => headers.find(([k]) => k === key)?.[1]
    const tagger = value('tagger')
    return {
      sha,
      object: value('object') ?? '',
      type: value('type') ?? '',
      tag: value('tag') ?? '',
      tagger: tagger === undefined ? null : parseSignature(tagger),
      message,
    }
  }

  /** Entries of a tree (or of a subdirectory of it), with blob sizes. */
  async listTree(
    treeish: string,
    options: { path?: string; recursive?: boolean } = {},
  ): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-z', '-l', ...(options.recursive ? ['-r', '-t'] : []), treeish]
    if (options.path) args.push('--', options.path.endsWith('/') ? options.path : `${options.path}/`)
    const result = await this.git(args, { okExitCodes: [128] })
    if (result.exitCode !== 0) return []
    return result.stdout
      .toString()
      .split('\0')
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t')
        const [mode = '', type = '', sha = '', size = '-'] = line.slice(0, tab).split(/ +/)
        return {
          mode,
          type: type as TreeEntry['type'],
          sha,
          path: line.slice(tab + 1),
          size: size === '-' ? null : Number(size),
        }
      })
  }

  /** The entry at `path` in a commit's tree, or null. */
  async entryAt(commit: string, path: string): Promise<TreeEntry | null> {
    const result = await this.git(['ls-tree', '-z', '-l', commit, '--', path], { okExitCodes: [128] })
    const line = result.stdout.toString().split('\0')[0] ?? ''
    if (result.exitCode !== 0 || line === '') return null
    const tab = line.indexOf('\t')
    const [mode = '', type = '', sha = '', size = '-'] = line.slice(0, tab).split(/ +/)
    if (line.slice(tab + 1) !== path) return null
    return { mode, type: type as TreeEntry['type'], sha, path, size: size === '-' ? null : Number(size) }
  }

  async readBlob(sha: string): Promise<Buffer> {
    return (await this.git(['cat-file', 'blob', sha])).stdout
  }

  async writeBlob(data: Buffer | string): Promise<string> {
    return (await this.git(['hash-object', '-w', '--stdin'], { input: data })).stdout.toString().trim()
  }

  /** Writes a tree from its direct entries (`git mktree`). */
  async makeTree(entries: { mode: string; type: string; sha: string; name: string }[]): Promise<string> {
    const input = entries.map((e) => `${e.mode} ${e.type} ${e.sha}\t${e.name}\0`).join('')
    return (await this.git(['mktree', '-z', '--missing'], { input })).stdout.toString().trim()
  }

  /** Applies path-level changes to a tree (null base: an empty tree), returning the new tree sha. */
  async editTree(baseTree: string | null, changes: TreeChange[]): Promise<string> {
    const entries = new Map<string, { mode: string; type: string; sha: string }>()
    if (baseTree) {
      for (const entry of await this.listTree(baseTree)) {
        entries.set(entry.path, { mode: entry.mode, type: entry.type, sha: entry.sha })
      }
    }
    const nested = new Map<string, TreeChange[]>()
    for (const change of changes) {
      const slash = change.path.indexOf('/')
      if (slash === -1) {
        if (change.sha === null) entries.delete(change.path)
        else {
          const type = change.mode === '040000' ? 'tree' : change.mode === '160000' ? 'commit' : 'blob'
          entries.set(change.path, { mode: change.mode, type, sha: change.sha })
        }
        continue
      }
      const dir = change.path.slice(0, slash)
      const list = nested.get(dir) ?? []
      list.push({ ...change, path: change.path.slice(slash + 1) })
      nested.set(dir, list)
    }
    for (const [dir, dirChanges] of nested) {
      const current = entries.get(dir)
      const subtree = await this.editTree(current?.type === 'tree' ? current.sha : null, dirChanges)
      if (subtree === EMPTY_TREE) entries.delete(dir)
      else entries.set(dir, { mode: '040000', type: 'tree', sha: subtree })
    }
    return this.makeTree([...entries].map(([name, e]) => ({ ...e, name })))
  }

  /** Commits listed oldest first: reachable from `head` and not from any of `exclude`. */
  revList(
    head: string,
    exclude: string[] = [],
    options: { max?: number; path?: string } = {},
  ): Promise<string[]> {
    const key = `rev-list ${head} ${exclude.join(' ')} ${options.max ?? ''} ${options.path ?? ''}`
    return this.remember([head, ...exclude], key, () => this.computeRevList(head, exclude, options))
  }

  private async computeRevList(
    head: string,
    exclude: string[],
    options: { max?: number; path?: string },
  ): Promise<string[]> {
    const args = ['rev-list', '--topo-order', '--reverse']
    if (options.max !== undefined) args.splice(1, 0, `--max-count=${options.max}`)
    args.push(head, ...exclude.map((sha) => `^${sha}`))
    if (options.path) args.push('--', options.path)
    const out = await this.text(args)
    return out === '' ? [] : out.split('\n')
  }

  /** File-level differences between two commits (or trees), with line counts and patches. */
  diff(from: string, to: string): Promise<FileChange[]> {
    return this.remember([from, to], `diff ${from} ${to}`, () => this.computeDiff(from, to))
  }

  private async computeDiff(from: string, to: string): Promise<FileChange[]> {
    const raw = (
      await this.git(['diff-tree', '-r', '-z', '-M', '--raw', '--numstat', from, to])
    ).stdout.toString()
    const fields = raw.split('\0')
    const changes: FileChange[] = []
    let i = 0
    // --raw records come first (":mode mode sha sha status\0path[\0path]"), then --numstat records.
    while (i < fields.length && (fields[i] ?? '').startsWith(':')) {
      const [, , , newSha = '', oldStatus = ''] = (fields[i] ?? '').slice(1).split(' ')
      const oldSha = (fields[i] ?? '').slice(1).split(' ')[2] ?? ''
      const letter = oldStatus.charAt(0)
      if (letter === 'R' || letter === 'C') {
        changes.push({
          status: letter === 'R' ? 'renamed' : 'copied',
          previousFilename: fields[i + 1] ?? '',
          filename: fields[i + 2] ?? '',
          sha: newSha,
          additions: 0,
          deletions: 0,
          patch: null,
        })
        i += 3
      } else {
        const status =
          letter === 'A' ? 'added' : letter === 'D' ? 'removed' : letter === 'M' ? 'modified' : 'changed'
        changes.push({
          status,
          previousFilename: null,
          filename: fields[i + 1] ?? '',
          sha: letter === 'D' ? oldSha : newSha,
          additions: 0,
          deletions: 0,
          patch: null,
        })
        i += 2
      }
    }
    for (const change of changes) {
      // "added\tdeleted\tpath" or, for renames, "added\tdeleted\t" followed by two path fields.
      const stat = fields[i] ?? ''
      const [added = '0', deleted = '0', path = ''] = stat.split('\t')
      change.additions = added === '-' ? 0 : Number(added)
      change.deletions = deleted === '-' ? 0 : Number(deleted)
      i += path === '' ? 3 : 1
    }
    const patch = (await this.git(['diff', '--no-color', '--no-ext-diff', '-M', from, to])).stdout.toString()
    const chunks = patch.split(/^(?=diff --git )/m).filter((chunk) => chunk.startsWith('diff --git '))
    if (chunks.length === changes.length) {
      chunks.forEach((chunk, index) => {
        const change = changes[index]
        const at = chunk.indexOf('\n@@')
        if (change && at !== -1) change.patch = chunk.slice(at + 1).replace(/\n$/, '')
      })
    }
    return changes
  }

  /** Commits the files of `directory` (and `files`) as a new commit, without touching any ref. */
  async commitDirectory(
    directory: string | null,
    files: Record<string, string>,
    parents: string[],
    message: string,
    identity: Identity,
  ): Promise<string> {
    let tree = EMPTY_TREE
    if (directory) {
      const scratch = await mkdtemp(join(tmpdir(), 'local-github-index-'))
      try {
        const env = { GIT_INDEX_FILE: join(scratch, 'index'), GIT_WORK_TREE: directory }
        await this.git(['add', '--all', '--force', '.'], { env })
        tree = (await this.git(['write-tree'], { env })).stdout.toString().trim()
      } finally {
        await rm(scratch, { recursive: true, force: true })
      }
    }
    const changes: TreeChange[] = []
    for (const [path, content] of Object.entries(files)) {
      changes.push({ path, mode: '100644', sha: await this.writeBlob(Buffer.from(content)) })
    }
    if (changes.length > 0) tree = await this.editTree(tree, changes)
    return this.commitTree(tree, parents, message, identity, identity)
  }

  /**
   * Replays `commits` onto `onto` with `git cherry-pick` in a temporary worktree, as a rebase merge does.
   * Returns the new head, or null on a conflict.
   */
  async replayCommits(onto: string, commits: string[], committer: Identity): Promise<string | null> {
    const scratch = await mkdtemp(join(tmpdir(), 'local-github-rebase-'))
    const worktree = join(scratch, 'worktree')
    const env = {
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: gitDate(committer.date),
    }
    try {
      await this.git(['worktree', 'add', '--detach', '--quiet', worktree, onto])
      for (const commit of commits) {
        const result = await runGit(['cherry-pick', '--allow-empty', '--keep-redundant-commits', commit], {
          cwd: worktree,
          env: isolatedGitEnv(env),
        })
        if (result.exitCode !== 0) return null
      }
      const head = await runGit(['rev-parse', 'HEAD'], { cwd: worktree })
      return head.stdout.toString().trim()
    } finally {
      await this.git(['worktree', 'remove', '--force', worktree], { okExitCodes: [128] })
      await this.git(['worktree', 'prune'], { okExitCodes: [128] })
      await rm(scratch, { recursive: true, force: true })
    }
  }
}
