import * as core from '@actions/core'
import { printable, printableText } from '../core/names.js'
import { commandFreeLine } from '../core/render/workflow-commands.js'

/**
 * Everything the action writes to its log, through one place. Log lines carry text from the repository and
 * from GitHub (names, paths, messages, notes, error texts), so none may start a workflow command of its own
 * (src/core/render/workflow-commands.ts).
 */

/**
 * One line of plain log: unsafe characters as `\uXXXX` (line breaks included, so nothing starts a new line),
 * and a line that would begin with `::` gets its first colon escaped.
 */
export function logLine(text: string): string {
  return commandFreeLine(printable(text))
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
