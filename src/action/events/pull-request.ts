import * as core from '@actions/core'
import type { CheckAnnotation, RepositoryApi } from '../../adapters/github/repository-api.js'
import type { Diagnostic } from '../../core/diagnostics.js'
import { printableText } from '../../core/names.js'
import { buildPackages } from '../../commands/build.js'
import { readConfigAt } from '../../commands/repository.js'
import { validateRepository } from '../../commands/validate.js'
import { packageContents } from '../../core/model/package-contents.js'
import type { SourceModel } from '../../core/model/source-model.js'
import { VALIDATION_MARKER, renderValidationComment, renderValidationSummary, reportedFindings } from '../../core/render/validation-comment.js'
import { Git } from '../../adapters/git/git.js'
import { parse } from 'yaml'
import { annotate } from '../annotations.js'
import { log } from '../log.js'

export interface PullRequestRun {
  api: RepositoryApi
  workspace: string
  number: number
  headSha: string
  defaultBranch: string
  dryRun: boolean
}

export interface PullRequestOutcome {
  errors: number
  warnings: number
  comment: string
  touched: string[]
}

/**
 * A pull request into the default branch: validate locally and against every environment branch with the
 * default branch's policy, debug-build the packages it touches, and report in one sticky comment, in
 * annotations and in the job summary.
 */
export async function validatePullRequest(run: PullRequestRun): Promise<PullRequestOutcome> {
  const config = await readConfigAt(run.workspace, `refs/remotes/origin/${run.defaultBranch}`)
  const environments = config.environments.map((e) => e.name)
  const changedFiles = await run.api.listPullRequestFiles(run.number)
  // The comment shows the plans of the packages this pull request touches: the others are checked for their
  // findings alone, which skips rendering every item of every package against every environment.
  const result = await core.group('Validate', () =>
    validateRepository({ repo: run.workspace, environments, config, plansFor: (model) => touchedPackages(model, changedFiles) }),
  )
  const touched = touchedPackages(result.repository.model, changedFiles)
  const debugBuilds = touched.length
    ? await core.group('Debug builds', async () => {
        const build = await buildPackages({ repo: run.workspace, packages: touched.filter((p) => result.repository.model.packages.has(p)), all: false, debug: true })
        return build.artifacts
      })
    : []
  const changedItems = await itemsChangedBy(run.workspace, `refs/remotes/origin/${run.defaultBranch}`, result.repository.model, changedFiles)
  const report = { diagnostics: result.diagnostics, plans: result.plans, debugBuilds, touched, headSha: run.headSha, changedFiles, changedItems }
  const comment = renderValidationComment(report)
  // The same findings as the comment: GitHub shows ten annotations of a kind per step, and those are spent on
  // errors and on warnings about this change, not on packages it does not touch (the job summary lists those).
  const { errors, warnings } = reportedFindings(report)
  const others = result.diagnostics.length - errors.length - warnings.length
  annotate([...errors, ...warnings])
  await core.summary.addRaw(renderValidationSummary(report)).write()
  if (!run.dryRun) {
    await run.api.upsertComment(run.number, `<!-- gantry:${VALIDATION_MARKER} `, comment)
    // A check of its own on the head, with every finding annotated: workflow-command annotations stop at ten
    // errors and ten warnings per step (GitHub's limits for annotations from a workflow run).
    const counted = `${plural(warnings.length, 'warning')}${others ? ` (and ${others} about packages this pull request does not touch)` : ''}`
    const title = errors.length > 0 ? `${plural(errors.length, 'error')}, ${counted}` : `No errors, ${counted}`
    const published = await run.api.publishCheckRun(run.headSha, VALIDATION_CHECK, {
      conclusion: result.errors > 0 ? 'failure' : 'success',
      title,
      summary: comment.replace(/^<!-- gantry:[^\n]*\n/, ''),
      annotations: checkAnnotations([...errors, ...warnings]),
    })
    if (!published) log.info(`The check run "${VALIDATION_CHECK}" was not written: only a GitHub App token may write check runs`)
  }
  return { errors: result.errors, warnings: result.warnings, comment, touched }
}

/** The name of the check run each validation of a pull request writes on its head. */
export const VALIDATION_CHECK = 'Gantry validation'

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Findings at a file as check-run annotations, errors first; a finding with no file is in the summary only. */
export function checkAnnotations(diagnostics: readonly Diagnostic[]): CheckAnnotation[] {
  const located = diagnostics.filter((d) => d.file !== undefined)
  const ordered = [...located.filter((d) => d.severity === 'error'), ...located.filter((d) => d.severity !== 'error')]
  return ordered.map((d) => {
    const line = d.line ?? 1
    return {
      path: d.file!,
      start_line: line,
      end_line: line,
      ...(d.line !== undefined && d.column !== undefined ? { start_column: d.column, end_column: d.column } : {}),
      annotation_level: d.severity === 'error' ? 'failure' : 'warning',
      // Text from files never reaches GitHub raw (escape sequences, bidirectional controls), as in the log.
      message: printableText(d.hint ? `${d.message}\nhint: ${d.hint}` : d.message).slice(0, 4000),
      title: `gantry ${d.code}`,
    }
  })
}

/** Packages whose manifest changed, or that hold (declare or include) a changed definition. */
export function touchedPackages(model: SourceModel, files: readonly string[]): string[] {
  const changed = new Set(files)
  const touched = new Set<string>()
  const cache = new Map()
  for (const pkg of model.packages.values()) {
    if (changed.has(pkg.file)) touched.add(pkg.name)
    for (const { definition } of packageContents(model, pkg, cache).items.values()) if (changed.has(definition.file)) touched.add(pkg.name)
    for (const raw of pkg.manifest.items) if (changed.has(`${model.paths.definitions}/${raw}.yaml`)) touched.add(pkg.name)
  }
  for (const file of files) {
    const match = new RegExp(`^${model.paths.packages}/([^/]+)\\.yaml$`).exec(file)
    if (match && !model.packages.has(match[1]!)) touched.add(match[1]!)
  }
  return [...touched].sort()
}

/**
 * The items this pull request changes: definitions whose file it edits, adds or removes, and items a changed
 * manifest names or no longer names (against the base branch's manifest). Each environment's section of the
 * comment shows only their rows, not every change still waiting from earlier versions.
 */
export async function itemsChangedBy(workspace: string, baseRef: string, model: SourceModel, files: readonly string[]): Promise<string[]> {
  const items = new Set<string>()
  const definitionFile = new RegExp(`^${escapeRegExp(model.paths.definitions)}/([^/]+)/([^/]+)\\.ya?ml$`)
  const manifestFile = new RegExp(`^${escapeRegExp(model.paths.packages)}/([^/]+)\\.ya?ml$`)
  const manifests: { name: string; file: string }[] = []
  for (const file of files) {
    const definition = definitionFile.exec(file)
    if (definition) items.add(`${definition[1]}/${definition[2]}`)
    const manifest = manifestFile.exec(file)
    if (manifest) manifests.push({ name: manifest[1]!, file })
  }
  if (manifests.length) {
    const base = await new Git(workspace).readBlobs(manifests.map((m) => `${baseRef}:${m.file}`))
    for (const m of manifests) {
      const before = new Set(manifestItems(base.get(`${baseRef}:${m.file}`)?.toString('utf8')))
      const after = new Set(model.packages.get(m.name)?.manifest.items ?? [])
      for (const id of after) if (!before.has(id)) items.add(id)
      for (const id of before) if (!after.has(id)) items.add(id)
    }
  }
  return [...items].sort()
}

function manifestItems(text: string | undefined): string[] {
  if (!text) return []
  try {
    const data = parse(text) as { items?: unknown } | null
    return Array.isArray(data?.items) ? data.items.filter((i): i is string => typeof i === 'string') : []
  } catch {
    return []
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
