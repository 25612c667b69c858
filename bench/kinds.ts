/**
 * The eight kind schemas of the synthetic repository: a job scheduler's tasks, workflows, triggers,
 * calendars, credentials, agents, connections and variables. Reference fields carry `x-gantry-ref`, as
 * strings and on the `items` of arrays; the conditional requirements (`allOf` of `if`/`then`) are the kind
 * real schemas have, so validation does realistic work.
 */
export const KINDS = [
  'task',
  'agent',
  'credential',
  'variable',
  'calendar',
  'connection',
  'workflow',
  'trigger',
] as const

export type Kind = (typeof KINDS)[number]

type Schema = Record<string, unknown>

const HOST = '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$'
const LABEL = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' }

const ref = (kind: Kind, description: string): Schema => ({
  type: 'string',
  'x-gantry-ref': kind,
  description,
})
const refs = (kind: Kind, description: string, minItems = 0): Schema => ({
  type: 'array',
  uniqueItems: true,
  ...(minItems > 0 ? { minItems } : {}),
  description,
  items: { type: 'string', 'x-gantry-ref': kind },
})
const when = (field: string, values: string[], required: string[]): Schema => ({
  if: {
    properties: { [field]: values.length === 1 ? { const: values[0] } : { enum: values } },
    required: [field],
  },
  then: { properties: Object.fromEntries(required.map((r) => [r, {}])), required },
})
const kindSchema = (kind: Kind, title: string, description: string, body: Schema): Schema => ({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: `https://gantry.dev/bench/kinds/${kind}.schema.json`,
  title,
  description,
  type: 'object',
  additionalProperties: false,
  ...body,
})

export const KIND_SCHEMAS: Record<Kind, Schema> = {
  task: kindSchema('task', 'Task', 'One unit of work run by an agent.', {
    required: ['type'],
    properties: {
      type: { enum: ['command', 'script', 'sql', 'file-transfer', 'http'] },
      command: { type: 'string', minLength: 1, maxLength: 4000 },
      query: { type: 'string', minLength: 1, maxLength: 20000 },
      transfer: {
        type: 'object',
        additionalProperties: false,
        required: ['direction', 'localPath', 'remotePath'],
        properties: {
          direction: { enum: ['upload', 'download'] },
          localPath: { type: 'string', minLength: 1 },
          remotePath: { type: 'string', minLength: 1 },
          deleteAfterTransfer: { type: 'boolean', default: false },
        },
      },
      request: {
        type: 'object',
        additionalProperties: false,
        required: ['method', 'path'],
        properties: {
          method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
          path: { type: 'string', pattern: '^/' },
          expectStatus: { type: 'integer', minimum: 100, maximum: 599, default: 200 },
        },
      },
      agent: ref('agent', 'The agent (or agent pool) that runs the task.'),
      credential: ref('credential', 'Credential the task runs with.'),
      connection: ref('connection', 'Connection used by sql, file-transfer and http tasks.'),
      variables: refs('variable', 'Variables given to the task as environment variables.'),
      successors: refs('task', 'Tasks started when this one ends successfully.'),
      workingDirectory: { type: 'string', minLength: 1 },
      timeoutMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
      priority: { enum: ['low', 'normal', 'high', 'critical'], default: 'normal' },
      retries: {
        type: 'object',
        additionalProperties: false,
        required: ['count'],
        properties: {
          count: { type: 'integer', minimum: 0, maximum: 10 },
          delaySeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 60 },
        },
      },
      notifyOnFailure: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' },
      },
      enabled: { type: 'boolean', default: true },
    },
    allOf: [
      when('type', ['command', 'script'], ['command']),
      when('type', ['sql'], ['query', 'connection']),
      when('type', ['file-transfer'], ['transfer', 'connection']),
      when('type', ['http'], ['request', 'connection']),
    ],
  }),
  workflow: kindSchema('workflow', 'Workflow', 'A group of tasks that run together.', {
    required: ['tasks'],
    properties: {
      tasks: refs('task', 'The tasks in the workflow.', 1),
      owner: { type: 'string', minLength: 1 },
      maxParallel: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
      onFailure: { enum: ['stop', 'continue', 'skip-successors'], default: 'stop' },
      timeoutMinutes: { type: 'integer', minimum: 1, maximum: 2880 },
      tags: { type: 'array', uniqueItems: true, items: LABEL },
    },
  }),
  trigger: kindSchema('trigger', 'Trigger', 'Starts a workflow on a schedule, a file, an event or by hand.', {
    required: ['type', 'workflow'],
    properties: {
      type: { enum: ['cron', 'file', 'event', 'manual'] },
      workflow: ref('workflow', 'The workflow this trigger starts.'),
      calendar: ref('calendar', 'Only fire on the days this calendar allows.'),
      cron: { type: 'string', pattern: '^\\S+( \\S+){4}$' },
      timezone: { type: 'string', minLength: 1 },
      file: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: { type: 'string', minLength: 1 },
          minSizeBytes: { type: 'integer', minimum: 0 },
          stableSeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 30 },
        },
      },
      event: { type: 'string', pattern: '^[a-z0-9]+(\\.[a-z0-9-]+)+$' },
      catchUp: { type: 'boolean', default: false },
      enabled: { type: 'boolean', default: true },
    },
    allOf: [
      when('type', ['cron'], ['cron']),
      when('type', ['file'], ['file']),
      when('type', ['event'], ['event']),
    ],
  }),
  calendar: kindSchema('calendar', 'Calendar', 'The days on which triggers may fire.', {
    required: ['type', 'timezone'],
    properties: {
      type: { enum: ['weekly', 'monthly', 'dates'] },
      timezone: { type: 'string', minLength: 1 },
      weekdays: {
        type: 'array',
        uniqueItems: true,
        items: { enum: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] },
      },
      daysOfMonth: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'integer', minimum: -7, maximum: 31, not: { const: 0 } },
      },
      includeDates: { type: 'array', uniqueItems: true, items: { type: 'string', format: 'date' } },
      excludeDates: { type: 'array', uniqueItems: true, items: { type: 'string', format: 'date' } },
      shiftToBusinessDay: { enum: ['none', 'previous', 'next'], default: 'none' },
    },
    allOf: [
      when('type', ['weekly'], ['weekdays']),
      when('type', ['monthly'], ['daysOfMonth']),
      when('type', ['dates'], ['includeDates']),
    ],
  }),
  credential: kindSchema('credential', 'Credential', 'Where a secret lives; never the secret.', {
    required: ['type', 'secretRef'],
    properties: {
      type: { enum: ['database', 'ssh-key', 'basic', 'api-token', 'oauth2-client', 'aws-role'] },
      username: { type: 'string', minLength: 1, maxLength: 128 },
      secretRef: {
        type: 'string',
        pattern: '^(vault|aws-sm|azure-kv)://[A-Za-z0-9._/-]+(#[A-Za-z0-9._-]+)?$',
      },
      roleArn: { type: 'string', pattern: '^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$' },
      rotationDays: { type: 'integer', minimum: 1, maximum: 365 },
      owner: { type: 'string', minLength: 1 },
    },
    allOf: [
      when('type', ['aws-role'], ['roleArn']),
      when('type', ['database', 'basic', 'ssh-key'], ['username']),
    ],
  }),
  agent: kindSchema('agent', 'Agent', 'A host or a pool of hosts that runs tasks.', {
    required: ['os', 'hosts'],
    properties: {
      os: { enum: ['linux', 'windows', 'macos'] },
      hosts: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: HOST } },
      balancing: { enum: ['round-robin', 'least-busy', 'first-available'], default: 'least-busy' },
      maxConcurrent: { type: 'integer', minimum: 1, maximum: 500 },
      labels: { type: 'array', uniqueItems: true, items: LABEL },
      heartbeatSeconds: { type: 'integer', minimum: 5, maximum: 600, default: 30 },
    },
  }),
  connection: kindSchema(
    'connection',
    'Connection',
    'How tasks reach a database, a file server or a service.',
    {
      required: ['type'],
      properties: {
        type: { enum: ['postgres', 'mysql', 'sqlserver', 'oracle', 'sftp', 's3', 'smtp', 'http'] },
        host: { type: 'string', pattern: HOST },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        database: { type: 'string', minLength: 1 },
        url: { type: 'string', format: 'uri', pattern: '^https?://' },
        bucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
        region: { type: 'string', pattern: '^[a-z]{2}-[a-z]+-[0-9]$' },
        credential: ref('credential', 'Credential used to open the connection.'),
        tls: { type: 'boolean', default: true },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 30 },
        poolSize: { type: 'integer', minimum: 1, maximum: 200 },
      },
      allOf: [
        when(
          'type',
          ['postgres', 'mysql', 'sqlserver', 'oracle'],
          ['host', 'port', 'database', 'credential'],
        ),
        when('type', ['sftp', 'smtp'], ['host', 'port']),
        when('type', ['s3'], ['bucket', 'region']),
        when('type', ['http'], ['url']),
      ],
    },
  ),
  variable: kindSchema('variable', 'Variable', 'A named value given to tasks as an environment variable.', {
    required: ['type', 'value'],
    properties: {
      type: { enum: ['string', 'integer', 'boolean', 'list'] },
      value: {
        anyOf: [
          { type: 'string' },
          { type: 'integer' },
          { type: 'boolean' },
          { type: 'array', items: { type: 'string' } },
        ],
      },
      envName: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
    },
    allOf: [
      {
        if: { properties: { type: { const: 'string' } }, required: ['type'] },
        then: { properties: { value: { type: 'string' } } },
      },
      {
        if: { properties: { type: { const: 'integer' } }, required: ['type'] },
        then: { properties: { value: { type: 'integer' } } },
      },
      {
        if: { properties: { type: { const: 'boolean' } }, required: ['type'] },
        then: { properties: { value: { type: 'boolean' } } },
      },
      {
        if: { properties: { type: { const: 'list' } }, required: ['type'] },
        then: { properties: { value: { type: 'array' } } },
      },
    ],
  }),
}
