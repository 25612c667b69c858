import * as core from '@actions/core'
import { printable, printableText } from '../core/names.js'

/**
 * Everything the action writes to its log, through one place. The runner reads a line of a step's output
 * that starts with `::` (leading spaces aside) as a workflow command ("Workflow commands for GitHub Actions":
 * `::error::`, `::add-mask::`, `::stop-commands::<token>`, which turns off every later command of the step,
 * Gantry's annotations included). Log lines carry text from the repository and from GitHub (names, paths,
 * messages, notes, error texts), so none may start a line of its own.
 */

/**
 * One line of plain log: unsafe characters as `\uXXXX` (line breaks included, so nothing starts a new line),
 * and a line that would begin with `::` gets its first colon escaped.
 */
export function logLine(text: string): string {
  const line = printable(text)
  return /^\s*::/.test(line) ? line.replace(':', '\\u003a') : line
}

/**
 * The message of an annotation or a failure: the toolkit writes it after the command (`::error file=...::`)
 * with `%`, CR and LF escaped, so line breaks stay line breaks in the annotation and cannot start a line;
 * other unsafe characters are escaped like everywhere else.
 */
function annotationText(text: string): string {
  return printableText(text)
}

function annotationProperties(properties: core.AnnotationProperties | undefined): core.AnnotationProperties | undefined {
  if (!properties) return undefined
  return {
    ...properties,
    ...(properties.title !== undefined ? { title: printable(properties.title) } : {}),
    ...(properties.file !== undefined ? { file: printable(properties.file) } : {}),
  }
}

export const log = {
  info(text: string): void {
    core.info(logLine(text))
  },
  notice(text: string, properties?: core.AnnotationProperties): void {
    core.notice(annotationText(text), annotationProperties(properties))
  },
  warning(text: string, properties?: core.AnnotationProperties): void {
    core.warning(annotationText(text), annotationProperties(properties))
  },
  error(text: string, properties?: core.AnnotationProperties): void {
    core.error(annotationText(text), annotationProperties(properties))
  },
  /** Fails the step with an error annotation holding `text`. */
  failed(text: string): void {
    core.setFailed(annotationText(text))
  },
}
