import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'GitError'
  }
}

/**
 * Git that never prompts and always speaks C; identity comes from the caller, not the machine. And git that
 * reads the objects as they are: `GIT_NO_REPLACE_OBJECTS` (git(1): "tells Git to ignore replacement refs and
 * do not replace Git objects"). A replace ref (git-replace(1), refs/replace/<id>) makes git show other content
 * under an object's id, so that a commit, a tree or a blob reads differently in a clone holding the ref,
 * with every id unchanged: anyone who can push refs, or a local ref nobody sees, could change what a build
 * bundles, what a ledger says or what a status reports. Gantry reads what the ids name, in every clone.
 */
function gitEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0', GIT_NO_REPLACE_OBJECTS: '1', ...extra }
}

export interface RunOptions {
  input?: string | Uint8Array
  env?: Record<string, string>
  /** Exit codes that are answers rather than failures (e.g. 1 for "not an ancestor"). */
  okCodes?: number[]
  /**
   * Git writes its output into a file of a private temporary folder, read once it exits, instead of a pipe:
   * for commands that write many small pieces (`cat-file --batch` writes each blob on its own), each of which
   * would otherwise wake this process for a read of its own.
   */
  outputToFile?: boolean
}

export interface RunResult {
  stdout: Buffer
  code: number
}

/** A git repository driven through plumbing commands. */
export class Git {
  constructor(readonly dir: string) {}

  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (!options.outputToFile) return this.runWith(args, options)
    const folder = await mkdtemp(join(tmpdir(), 'gantry-output-'))
    try {
      const file = join(folder, 'stdout')
      // Created here, never there before (the folder is new and private): git writes, then this reads it.
      const handle = await open(file, 'wx', 0o600)
      try {
        const { code } = await this.runWith(args, options, handle.fd)
        return { stdout: await readFile(file), code }
      } finally {
        await handle.close()
      }
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }

  /** `run`, with the output to `stdoutFd` when given (then `stdout` is empty). */
  private runWith(args: readonly string[], options: RunOptions, stdoutFd?: number): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['-C', this.dir, ...args], { env: gitEnvironment(options.env), stdio: ['pipe', stdoutFd ?? 'pipe', 'pipe'] })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout?.on('data', (b: Buffer) => out.push(b))
      child.stderr!.on('data', (b: Buffer) => err.push(b))
      child.on('error', (error) => reject(new GitError(`git ${args[0]} could not start: ${error.message}`, args, null, '', { cause: error })))
      child.on('close', (code) => {
        const stderr = Buffer.concat(err).toString('utf8')
        if (code === 0 || (code !== null && options.okCodes?.includes(code))) {
          resolve({ stdout: Buffer.concat(out), code: code ?? 0 })
        } else {
          reject(new GitError(`git ${args.join(' ')} failed (${code}): ${stderr.trim()}`, args, code, stderr))
        }
      })
      child.stdin!.on('error', () => undefined)
      if (options.input !== undefined) child.stdin!.end(options.input)
      else child.stdin!.end()
    })
  }

  async text(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.toString('utf8')
  }

  async isRepository(): Promise<boolean> {
    return new Promise((resolve) => {
      execFile('git', ['-C', this.dir, 'rev-parse', '--git-dir'], { env: gitEnvironment() }, (error) => resolve(!error))
    })
  }

  /** The commit a ref resolves to, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { okCodes: [1, 128] })
    const sha = result.stdout.toString().trim()
    return result.code === 0 && sha ? sha : undefined
  }

  /** An environment branch: the local branch, else the remote-tracking one from origin. */
  async resolveBranch(branch: string): Promise<{ ref: string; head: string } | undefined> {
    for (const ref of [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`]) {
      const head = await this.resolve(ref)
      if (head) return { ref, head }
    }
    return undefined
  }

  /** Reads many objects in one process: each spec is `<rev>:<path>` or a sha. Missing ones are absent. */
  async readBlobs(specs: readonly string[]): Promise<Map<string, Buffer>> {
    const result = new Map<string, Buffer>()
    if (specs.length === 0) return result
    // Through a file: cat-file writes every object on its own, thousands of reads through a pipe. --buffer:
    // the headers go out in blocks rather than one write each, as nothing reads before cat-file is done.
    const { stdout } = await this.run(['cat-file', '--batch', '--buffer'], { input: `${specs.join('\n')}\n`, outputToFile: true })
    let offset = 0
    for (const spec of specs) {
      const newline = stdout.indexOf(10, offset)
      const header = stdout.subarray(offset, newline).toString('utf8')
      offset = newline + 1
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) continue
      // "<id> <type> <size>"
      const [, type, written] = header.split(' ')
      const size = Number(written)
      if (type === 'blob') result.set(spec, stdout.subarray(offset, offset + size))
      offset += size + 1
    }
    return result
  }

  /**
   * Entries of a tree (not recursive unless asked), with mode, type, object id and path; with `sizes`, the
   * size of each blob too, which costs git a lookup of every object listed. Paths are from the folder git
   * runs in (the source's, which may be a folder of its repository) unless `fullTree`: from the top of the
   * tree, as environment branches and .github/workflows are laid out.
   */
  async listTree(
    treeish: string,
    options: { recursive?: boolean; paths?: readonly string[]; sizes?: boolean; literal?: boolean; fullTree?: boolean } = {},
  ): Promise<TreeEntry[]> {
    // Literal: the paths are file names, never patterns (an item named with "*" or "[" matches only itself).
    const args = [...(options.literal ? ['--literal-pathspecs'] : []), 'ls-tree', '-z']
    if (options.fullTree) args.push('--full-tree')
    if (options.sizes) args.push('--long')
    if (options.recursive) args.push('-r')
    args.push(treeish)
    if (options.paths?.length) args.push('--', ...options.paths)
    const result = await this.run(args, { okCodes: [128] })
    if (result.code !== 0) return []
    const entries: TreeEntry[] = []
    for (const record of result.stdout.toString('utf8').split('\0')) {
      if (!record) continue
      const tab = record.indexOf('\t')
      const [mode, type, sha, size] = record.slice(0, tab).split(/\s+/)
      const entry: TreeEntry = { mode: mode!, type: type as TreeEntry['type'], sha: sha!, path: record.slice(tab + 1) }
      if (options.sizes) entry.size = size === '-' ? 0 : Number(size)
      entries.push(entry)
    }
    return entries
  }

  async writeBlob(content: string | Uint8Array): Promise<string> {
    return (await this.text(['hash-object', '-w', '--stdin'], { input: content })).trim()
  }

  /**
   * Writes many objects of one type in one process, returning their ids in order. hash-object reads one
   * object from stdin per process, so the contents go through files of a private temporary folder, hashed
   * as they are (--no-filters: no attributes or line-end conversion, as with --stdin).
   */
  async writeObjects(
    /** Each object's bytes: a string, a buffer, or the buffers it is made of, in order (written as they are). */
    contents: readonly (string | Uint8Array | readonly Uint8Array[])[],
    type: 'blob' | 'tree' | 'tag' = 'blob',
  ): Promise<string[]> {
    if (contents.length === 0) return []
    const folder = await mkdtemp(join(tmpdir(), 'gantry-objects-'))
    try {
      const files = contents.map((_, index) => join(folder, String(index)))
      await Promise.all(contents.map((content, index) => writeFile(files[index]!, content)))
      const args = ['hash-object', '-t', type, '-w', '--no-filters', '--stdin-paths']
      const out = await this.text(args, { input: `${files.join('\n')}\n` })
      const ids = out.split('\n').filter(Boolean)
      if (ids.length !== contents.length)
        throw new GitError(`git hash-object wrote ${ids.length} of ${contents.length} objects`, args, 0, '')
      return ids
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }

  /**
   * A long-lived git process answering requests one at a time (cat-file --batch, mktree --batch): one
   * process for a whole tree edit instead of one per folder. Close it when done; a failure of the process
   * rejects the pending read with its stderr.
   */
  session(args: readonly string[]): GitSession {
    const child = spawn('git', ['-C', this.dir, ...args], { env: gitEnvironment(), stdio: 'pipe' })
    return new GitSession(child, args)
  }

  async makeTree(entries: readonly TreeEntry[]): Promise<string> {
    const input = entries.map((e) => `${e.mode} ${e.type} ${e.sha}\t${e.path}\0`).join('')
    return (await this.text(['mktree', '-z'], { input })).trim()
  }

  async commitTree(tree: string, parents: readonly string[], message: string, identity: Identity): Promise<string> {
    const args = ['commit-tree', tree]
    for (const parent of parents) args.push('-p', parent)
    const env = {
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
      ...(identity.date ? { GIT_AUTHOR_DATE: identity.date, GIT_COMMITTER_DATE: identity.date } : {}),
    }
    return (await this.text(args, { input: message, env })).trim()
  }

  /**
   * Moves a ref only if it still points where we read it (compare-and-swap); `expected` undefined means the
   * ref must not exist yet. Returns false when someone else moved it first.
   */
  async updateRef(ref: string, next: string, expected: string | undefined): Promise<boolean> {
    // An empty old value means "must not exist" whatever the object format (sha1 or sha256). --no-deref: the
    // ref named is written, never a branch it is a symbolic ref to (one whose target is missing is listed by
    // no for-each-ref, so it is not refused as an environment branch that is a symbolic ref).
    const result = await this.run(['update-ref', '--no-deref', ref, next, expected ?? ''], { okCodes: [1, 128] })
    return result.code === 0
  }

  /** Branches checked out in any worktree of the repository (refs/heads/...), with the worktree's path. */
  async checkedOutBranches(): Promise<Map<string, string>> {
    const out = await this.text(['worktree', 'list', '--porcelain'])
    const branches = new Map<string, string>()
    let path = ''
    for (const line of out.split('\n')) {
      if (line.startsWith('worktree ')) path = line.slice('worktree '.length)
      else if (line.startsWith('branch ')) branches.set(line.slice('branch '.length), path)
    }
    return branches
  }

  /**
   * Creates many annotated tags with two processes whatever their number: the tag objects written in one
   * hash-object (which checks their format), the refs created in one update-ref transaction. Returns, per
   * tag, whether it was created; a tag that already exists is left as it is (false). The message is stored
   * as given, ending with a newline.
   */
  async createAnnotatedTags(
    tags: readonly { name: string; commit: string; message: string }[],
    identity: Identity,
  ): Promise<boolean[]> {
    if (tags.length === 0) return []
    const tagger = `${identity.name} <${identity.email}> ${gitDate(identity.date)}`
    const objects = tags.map(
      (t) =>
        `object ${t.commit}\ntype commit\ntag ${t.name}\ntagger ${tagger}\n\n${t.message.endsWith('\n') ? t.message : `${t.message}\n`}`,
    )
    const ids = await this.writeObjects(objects, 'tag')
    // One transaction: "create" fails when the ref exists, and then nothing of the transaction is written.
    const input = tags.map((t, i) => `create refs/tags/${t.name} ${ids[i]}\n`).join('')
    const all = await this.run(['update-ref', '--stdin'], { input, okCodes: [1, 128] })
    if (all.code === 0) return tags.map(() => true)
    // Someone created one of them meanwhile (rare): each on its own, so the others are still created.
    const created: boolean[] = []
    for (const [i, t] of tags.entries()) created.push(await this.updateRef(`refs/tags/${t.name}`, ids[i]!, undefined))
    return created
  }

  async createAnnotatedTag(name: string, commit: string, message: string, identity: Identity): Promise<boolean> {
    const result = await this.run(['tag', '-a', name, commit, '-F', '-'], {
      input: message,
      okCodes: [128],
      env: { GIT_COMMITTER_NAME: identity.name, GIT_COMMITTER_EMAIL: identity.email, ...(identity.date ? { GIT_COMMITTER_DATE: identity.date } : {}) },
    })
    return result.code === 0
  }
}

/** The reading and writing ends of a git process started by Git.session. */
export class GitSession {
  private readonly chunks: Buffer[] = []
  private buffered = 0
  private wake: (() => void) | undefined
  private ended = false
  private readonly exited: Promise<void>

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly args: readonly string[],
  ) {
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => {
      this.chunks.push(b)
      this.buffered += b.length
      this.wake?.()
    })
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => undefined)
    this.exited = new Promise((resolve, reject) => {
      const fail = (error: GitError) => {
        this.ended = true
        this.wake?.()
        reject(error)
      }
      child.on('error', (error) =>
        fail(new GitError(`git ${args[0]} could not start: ${error.message}`, args, null, '', { cause: error })),
      )
      child.on('close', (code) => {
        const stderr = Buffer.concat(err).toString('utf8')
        if (code === 0) {
          this.ended = true
          this.wake?.()
          resolve()
        } else fail(new GitError(`git ${args.join(' ')} failed (${code}): ${stderr.trim()}`, args, code, stderr))
      })
    })
    // Seen by read() and close(); this keeps an early failure from being reported as unhandled.
    this.exited.catch(() => undefined)
  }

  write(data: string | Uint8Array): void {
    this.child.stdin.write(data)
  }

  /** The next line of output, without its newline. */
  async readLine(): Promise<string> {
    let scanned = 0
    for (;;) {
      for (let i = scanned; i < this.chunks.length; i++) {
        const newline = this.chunks[i]!.indexOf(10)
        if (newline >= 0) {
          // Only the chunks up to the line's end are joined: the answers after it stay as they came.
          let length = newline
          for (let j = 0; j < i; j++) length += this.chunks[j]!.length
          const line = this.take(length + 1)
          return line.toString('utf8', 0, length)
        }
      }
      scanned = this.chunks.length
      await this.more()
    }
  }

  /** The next `length` bytes of output. */
  async readBytes(length: number): Promise<Buffer> {
    while (this.buffered < length) await this.more()
    return this.take(length)
  }

  /** Ends the input and waits for the process to exit; rejects when it failed. */
  async close(): Promise<void> {
    this.child.stdin.end()
    await this.exited
  }

  /**
   * The next `length` bytes (at most those buffered), taken off the front: the chunks they span are joined,
   * a chunk they end inside is split, and the chunks after it are left as they came. A large batch of
   * answers is thus copied once as it is read, not once per answer.
   */
  private take(length: number): Buffer {
    const first = this.chunks[0]
    if (first && first.length >= length) {
      if (first.length === length) this.chunks.shift()
      else this.chunks[0] = first.subarray(length)
      this.buffered -= length
      return first.subarray(0, length)
    }
    const parts: Buffer[] = []
    let taken = 0
    while (taken < length && this.chunks.length > 0) {
      const chunk = this.chunks[0]!
      const wanted = length - taken
      if (chunk.length <= wanted) {
        parts.push(chunk)
        this.chunks.shift()
        taken += chunk.length
      } else {
        parts.push(chunk.subarray(0, wanted))
        this.chunks[0] = chunk.subarray(wanted)
        taken += wanted
      }
    }
    this.buffered -= taken
    return Buffer.concat(parts, taken)
  }

  private async more(): Promise<void> {
    if (this.ended) {
      await this.exited
      throw new GitError(`git ${this.args.join(' ')} ended before answering`, this.args, 0, '')
    }
    await new Promise<void>((resolve) => (this.wake = resolve))
    this.wake = undefined
  }
}

export interface TreeEntry {
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
  /** Bytes of a blob (0 for a tree or a commit), when listed with `sizes`. */
  size?: number
  path: string
}

export interface Identity {
  name: string
  email: string
  date?: string
}

/** A date as git writes it in an object (`<seconds> <zone>`), from an identity's date or now. */
function gitDate(date: string | undefined): string {
  const raw = date ? /^@?(\d+)(?: ([+-]\d{4}))?$/.exec(date.trim()) : null
  if (raw) return `${raw[1]} ${raw[2] ?? '+0000'}`
  const ms = date ? Date.parse(date) : Date.now()
  return `${Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000)} +0000`
}

export const GANTRY_IDENTITY: Identity = { name: 'Gantry', email: 'gantry@users.noreply.local' }
