#!/usr/bin/env node
// Turns an example source folder (examples/<name>) into a git repository that Gantry can work on:
// main holds the definitions, and every environment branch of gantry.yaml starts with only a
// .gantry/README.md. With --bare-origin a bare clone next to it becomes `origin`.
//
//   node scripts/make-example-repo.mjs <example-dir> <target-dir> [--bare-origin]
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import process from 'node:process'

const USAGE = `Usage: node scripts/make-example-repo.mjs <example-dir> <target-dir> [--bare-origin]

Copies <example-dir> (a folder with gantry.yaml, kinds/, definitions/, packages/) to <target-dir>,
makes it a git repository with one commit on main, and creates every environment branch named in
gantry.yaml, each holding only .gantry/README.md.

Options:
  --bare-origin   also create <target-dir>.origin.git (bare), push main and the environment
                  branches to it and set it as the remote "origin"
  -h, --help      show this help`

const AUTHOR_NAME = 'Gantry Example'
const AUTHOR_EMAIL = 'example@gantry.invalid'
const BRANCH_PATTERN = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/
const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/
// Never copied from the example folder.
const SKIP = new Set(['.git', 'node_modules'])
const SKIP_PATHS = new Set([path.join('.gantry', 'build')])

class UsageError extends Error {}

function fail(message, code) {
  process.stderr.write(`make-example-repo: ${message}\n`)
  process.exit(code)
}

function parseArgs(argv) {
  const positional = []
  let bareOrigin = false
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`)
      process.exit(0)
    } else if (arg === '--bare-origin') {
      bareOrigin = true
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`)
    } else {
      positional.push(arg)
    }
  }
  if (positional.length !== 2) {
    throw new UsageError(
      positional.length < 2
        ? 'expected <example-dir> and <target-dir>'
        : `expected two paths, got ${positional.length}: ${positional.join(' ')}`,
    )
  }
  return { exampleDir: path.resolve(positional[0]), targetDir: path.resolve(positional[1]), bareOrigin }
}

function isEmptyDir(dir) {
  return fs.readdirSync(dir).length === 0
}

/** A path that must not exist, or must be an empty directory. Returns whether it exists. */
function checkFreeTarget(dir, what) {
  if (!fs.existsSync(dir)) return false
  const stat = fs.lstatSync(dir)
  if (!stat.isDirectory()) throw new UsageError(`${what} ${dir} exists and is not a directory`)
  if (!isEmptyDir(dir)) throw new UsageError(`${what} ${dir} exists and is not empty; choose another path`)
  return true
}

function isInside(child, parent) {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Environment names and branches from gantry.yaml, with the `yaml` package or, without it, line by line. */
async function readEnvironments(configFile) {
  const text = fs.readFileSync(configFile, 'utf8')
  let environments
  try {
    const { parse } = await import('yaml')
    let config
    try {
      config = parse(text, { uniqueKeys: true })
    } catch (error) {
      throw new UsageError(`${configFile} is not valid YAML: ${error.message}`)
    }
    if (!config || typeof config !== 'object' || !Array.isArray(config.environments)) {
      throw new UsageError(`${configFile} has no environments list`)
    }
    environments = config.environments.map((env, i) => {
      if (!env || typeof env !== 'object')
        throw new UsageError(`${configFile}: environments[${i}] is not a mapping`)
      return { name: String(env.name ?? ''), branch: String(env.branch ?? '') }
    })
  } catch (error) {
    if (error instanceof UsageError) throw error
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
    // No yaml package available: read `- name: x` / `branch: y` lines.
    environments = []
    for (const line of text.split(/\r?\n/)) {
      const name = line.match(/^\s*-\s*name:\s*["']?([^"'\s#]+)["']?\s*(#.*)?$/)
      if (name) environments.push({ name: name[1], branch: '' })
      const branch = line.match(/^\s*-?\s*branch:\s*["']?([^"'\s#]+)["']?\s*(#.*)?$/)
      if (branch && environments.length > 0) environments[environments.length - 1].branch = branch[1]
    }
  }
  if (environments.length === 0) throw new UsageError(`${configFile} lists no environments`)
  const seen = new Set()
  for (const { name, branch } of environments) {
    if (!NAME_PATTERN.test(name)) throw new UsageError(`${configFile}: invalid environment name "${name}"`)
    if (!BRANCH_PATTERN.test(branch) || branch.length > 200) {
      throw new UsageError(`${configFile}: environment ${name} has an invalid branch "${branch}"`)
    }
    if (branch === 'main')
      throw new UsageError(`${configFile}: environment ${name} cannot use the branch main`)
    if (seen.has(branch)) throw new UsageError(`${configFile}: branch ${branch} is used by two environments`)
    seen.add(branch)
  }
  return environments
}

function git(args, { cwd, input } = {}) {
  try {
    return execFileSync('git', args, {
      cwd,
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    }).trim()
  } catch (error) {
    const detail = (error.stderr || error.stdout || error.message || '').toString().trim()
    throw new Error(`git ${args.join(' ')} failed${detail ? `:\n${detail}` : ''}`)
  }
}

function envReadme(env) {
  return `# Environment ${env.name}

This branch (\`${env.branch}\`) holds the desired state of the **${env.name}** environment. Gantry writes it;
people review it.

- \`definitions/<kind>/<name>.yaml\`: the definitions applied in ${env.name}, after this environment's
  reference replacements and field overrides.
- \`.gantry/installed/<package>.yaml\`: one ledger per installed package: its version and digest, the
  items it owns with the digest of each as applied, the source commit, the promotion pull request and
  who approved it.

Change this branch by promoting a package version (a promotion pull request, or \`gantry apply\`), not by
hand: items that no ledger lists are unowned, and edits to items of a locked package are reported as
drift.
`
}

function copyExample(from, to) {
  const skipped = []
  fs.cpSync(from, to, {
    recursive: true,
    errorOnExist: true,
    force: false,
    filter: (src) => {
      const rel = path.relative(from, src)
      if (rel === '') return true
      if (SKIP.has(path.basename(src)) || SKIP_PATHS.has(rel)) return false
      if (fs.lstatSync(src).isSymbolicLink()) {
        skipped.push(rel)
        return false
      }
      return true
    },
  })
  return skipped
}

/** Removes a folder this run created, or empties one that was empty before it started. */
function undo(dir, created) {
  if (!fs.existsSync(dir)) return
  if (created) fs.rmSync(dir, { recursive: true, force: true })
  else
    for (const entry of fs.readdirSync(dir))
      fs.rmSync(path.join(dir, entry), { recursive: true, force: true })
}

async function main() {
  let options
  let environments
  try {
    options = parseArgs(process.argv.slice(2))
    const { exampleDir, targetDir, bareOrigin } = options
    if (!fs.existsSync(exampleDir) || !fs.statSync(exampleDir).isDirectory()) {
      throw new UsageError(`example directory ${exampleDir} does not exist`)
    }
    const configFile = path.join(exampleDir, 'gantry.yaml')
    if (!fs.existsSync(configFile))
      throw new UsageError(`${exampleDir} has no gantry.yaml; is it an example folder?`)
    if (isInside(targetDir, exampleDir) || isInside(exampleDir, targetDir)) {
      throw new UsageError('the target directory must be outside the example directory and not contain it')
    }
    checkFreeTarget(targetDir, 'target directory')
    if (bareOrigin) checkFreeTarget(`${targetDir}.origin.git`, 'origin repository')
    environments = await readEnvironments(configFile)
    try {
      git(['--version'])
    } catch {
      throw new UsageError('git is not installed or not on PATH')
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`make-example-repo: ${error.message}\n\n${USAGE}\n`)
      process.exit(2)
    }
    fail(error.message, 2)
  }

  const { exampleDir, targetDir, bareOrigin } = options
  const originDir = `${targetDir}.origin.git`
  const createdTarget = !fs.existsSync(targetDir)
  const createdOrigin = !fs.existsSync(originDir)
  try {
    const skipped = copyExample(exampleDir, targetDir)
    for (const rel of skipped) process.stderr.write(`make-example-repo: skipped symbolic link ${rel}\n`)

    try {
      git(['init', '-q', '-b', 'main'], { cwd: targetDir })
    } catch {
      // git before 2.28 has no -b.
      git(['init', '-q'], { cwd: targetDir })
      git(['symbolic-ref', 'HEAD', 'refs/heads/main'], { cwd: targetDir })
    }
    git(['config', 'user.name', AUTHOR_NAME], { cwd: targetDir })
    git(['config', 'user.email', AUTHOR_EMAIL], { cwd: targetDir })
    git(['add', '--all'], { cwd: targetDir })
    git(['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', 'Initial definitions'], {
      cwd: targetDir,
    })
    const mainCommit = git(['rev-parse', 'HEAD'], { cwd: targetDir })
    const fileCount = git(['ls-files'], { cwd: targetDir }).split('\n').filter(Boolean).length

    // Environment branches: a root commit whose tree is only .gantry/README.md, built with plumbing.
    const branches = []
    for (const env of environments) {
      const blob = git(['hash-object', '-w', '--stdin'], { cwd: targetDir, input: envReadme(env) })
      const gantryTree = git(['mktree'], { cwd: targetDir, input: `100644 blob ${blob}\tREADME.md\n` })
      const rootTree = git(['mktree'], { cwd: targetDir, input: `040000 tree ${gantryTree}\t.gantry\n` })
      const commit = git(
        [
          '-c',
          'commit.gpgsign=false',
          'commit-tree',
          rootTree,
          '-m',
          `Start environment ${env.name} (${env.branch})`,
        ],
        {
          cwd: targetDir,
        },
      )
      // The empty old value makes update-ref refuse to overwrite an existing ref.
      git(['update-ref', '-m', 'make-example-repo', `refs/heads/${env.branch}`, commit, ''], {
        cwd: targetDir,
      })
      branches.push({ ...env, commit })
    }

    if (bareOrigin) {
      git(['init', '-q', '--bare', originDir])
      git(['symbolic-ref', 'HEAD', 'refs/heads/main'], { cwd: originDir })
      git(['remote', 'add', 'origin', originDir], { cwd: targetDir })
      const refspecs = ['main', ...branches.map((b) => b.branch)].map(
        (b) => `refs/heads/${b}:refs/heads/${b}`,
      )
      git(['push', '-q', '--no-verify', 'origin', ...refspecs], { cwd: targetDir })
      git(['branch', '-q', '--set-upstream-to=origin/main', 'main'], { cwd: targetDir })
    }

    const rel = (p) => {
      const r = path.relative(process.cwd(), p)
      return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p
    }
    const width = Math.max(4, ...branches.map((b) => b.branch.length))
    const lines = [
      `Created ${targetDir}`,
      `  ${'main'.padEnd(width)}  ${mainCommit.slice(0, 12)}  Initial definitions (${fileCount} files from ${rel(exampleDir)})`,
      ...branches.map(
        (b) =>
          `  ${b.branch.padEnd(width)}  ${b.commit.slice(0, 12)}  environment ${b.name}: only .gantry/README.md`,
      ),
    ]
    if (bareOrigin)
      lines.push(
        `Created ${originDir} (bare), set as origin; pushed main and ${branches.length} environment branches`,
      )
    const first = environments[0].name
    lines.push(
      '',
      'Next, from the Gantry project folder:',
      `  npx gantry validate --repo ${targetDir} --env ${first}`,
      `  npx gantry build --all --repo ${targetDir}`,
      `  npx gantry status --repo ${targetDir}`,
      '',
      `Inspect it: git -C ${targetDir} log --oneline --all`,
    )
    process.stdout.write(`${lines.join('\n')}\n`)
  } catch (error) {
    // Leave nothing half-made behind: remove what this run created, or empty the folder it was given.
    if (bareOrigin) undo(originDir, createdOrigin)
    undo(targetDir, createdTarget)
    fail(error.message, 1)
  }
}

await main()
