import * as core from '@actions/core'

export type ActionCommand = 'auto' | 'validate' | 'release' | 'promote' | 'cancel' | 'reconcile'
const COMMANDS: readonly ActionCommand[] = ['auto', 'validate', 'release', 'promote', 'cancel', 'reconcile']

/** Every input of action.yml, parsed and checked in one place. */
export interface ActionInputs {
  token: string
  command: ActionCommand
  workingDirectory: string | undefined
  dryRun: boolean
  package: string | undefined
  version: string | undefined
  environment: string | undefined
  /** The login GitHub records for Gantry's writes; undefined: ask GitHub who the token is. */
  botLogin: string | undefined
}

export function readInputs(): ActionInputs {
  const command = (core.getInput('command') || 'auto') as ActionCommand
  if (!COMMANDS.includes(command)) throw new Error(`input command must be one of ${COMMANDS.join(', ')}, not "${command}"`)
  const optional = (name: string) => core.getInput(name) || undefined
  return {
    token: core.getInput('token', { required: true }),
    command,
    workingDirectory: optional('working-directory'),
    dryRun: ['true', 'True', 'TRUE'].includes(core.getInput('dry-run')),
    package: optional('package'),
    version: optional('version'),
    environment: optional('environment'),
    botLogin: optional('bot-login'),
  }
}
