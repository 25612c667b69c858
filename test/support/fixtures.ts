import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root (the folder holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

const created: string[] = []

/** Runs `command` as a separate process from the project root, without input; resolves with its exit code and output. */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
  })
}

/** A fresh folder under the system temp folder; removed by `removeTempDirs`. */
export function tempDir(prefix = 'gantry-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

/** Removes every folder `tempDir` made in this test file (call it from `afterAll`). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** A copy of `examples/<name>` in a temp folder. */
export function copyExample(name: string): string {
  const dir = tempDir(`gantry-${name}-`)
  cpSync(join(PROJECT_ROOT, 'examples', name), dir, { recursive: true })
  return dir
}

/** A file's content, a symbolic link to `symlink`, or null to delete the file. */
export type FileContent = string | Uint8Array | { symlink: string } | null

/** Writes files relative to `dir`, creating folders as needed. */
export function writeFiles(dir: string, files: Record<string, FileContent>): void {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path)
    if (content === null) {
      rmSync(target, { force: true, recursive: true })
      continue
    }
    mkdirSync(dirname(target), { recursive: true })
    if (typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, target)
    else writeFileSync(target, content)
  }
}

export const TEST_IDENTITY = { name: 'Gantry Test', email: 'test@gantry.invalid' }

/** Git with the machine's own configuration ignored and a fixed identity. */
export function git(
  dir: string,
  args: string[],
  options: { input?: string | Uint8Array; env?: NodeJS.ProcessEnv } = {},
): string {
  return execFileSync('git', ['-C', dir, ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: TEST_IDENTITY.name,
      GIT_AUTHOR_EMAIL: TEST_IDENTITY.email,
      GIT_COMMITTER_NAME: TEST_IDENTITY.name,
      GIT_COMMITTER_EMAIL: TEST_IDENTITY.email,
      ...options.env,
    },
  }).trim()
}

/**
 * Makes `dir` a git repository with everything in it committed on `main`, and creates `branches` (e.g.
 * environment branches) as empty root commits. Returns the commit of `main`.
 */
export function makeGitRepo(dir: string, options: { branches?: string[] } = {}): string {
  git(dir, ['init', '-q', '-b', 'main'])
  git(dir, ['config', 'user.name', TEST_IDENTITY.name])
  git(dir, ['config', 'user.email', TEST_IDENTITY.email])
  git(dir, ['config', 'commit.gpgsign', 'false'])
  git(dir, ['config', 'tag.gpgsign', 'false'])
  git(dir, ['add', '--all'])
  git(dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', 'Initial content'])
  for (const branch of options.branches ?? []) {
    const empty = git(dir, ['mktree'], { input: '' })
    const commit = git(dir, ['commit-tree', empty, '-m', `Start ${branch}`])
    git(dir, ['update-ref', `refs/heads/${branch}`, commit, ''])
  }
  return git(dir, ['rev-parse', 'HEAD'])
}

/**
 * Commits files to `branch` without touching the working tree or the index (a private index and plumbing):
 * the branch is created when missing. Returns the new commit.
 */
export function commitFiles(
  dir: string,
  branch: string,
  files: Record<string, FileContent>,
  message = 'Change files',
): string {
  const indexFile = join(tempDir('gantry-index-'), 'index')
  const env = { GIT_INDEX_FILE: indexFile }
  const ref = `refs/heads/${branch}`
  let parent: string | undefined
  try {
    parent = git(dir, ['rev-parse', '--verify', '--quiet', ref], { env })
  } catch {
    parent = undefined
  }
  if (parent) git(dir, ['read-tree', parent], { env })
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      git(dir, ['update-index', '--force-remove', path], { env })
      continue
    }
    const symlink = typeof content === 'object' && 'symlink' in content
    const blob = git(dir, ['hash-object', '-w', '--stdin'], {
      input: symlink ? content.symlink : content,
      env,
    })
    git(dir, ['update-index', '--add', '--cacheinfo', `${symlink ? '120000' : '100644'},${blob},${path}`], {
      env,
    })
  }
  const tree = git(dir, ['write-tree'], { env })
  const commit = git(dir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], { env })
  git(dir, ['update-ref', ref, commit, parent ?? ''], { env })
  return commit
}
