/** The JSON Schema of a `windows:` list, shared by infra-sync.yaml and infra-sync.config.yaml; parseWindows checks the rest (cron, zone, duration). */
export const WINDOWS_SCHEMA = {
  type: 'array',
  description:
    'Deploy windows: outside them changes wait (status waiting) and go out when one opens. deny beats allow; with any allow window, only inside one. The most specific list wins (environment, then service, then server); [] means none here.',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'schedule', 'duration'],
    properties: {
      kind: { type: 'string', enum: ['allow', 'deny'], description: 'allow: changes go out only inside; deny: never inside.' },
      schedule: { type: 'string', minLength: 1, description: 'Five-field cron: when each window opens.', examples: ['0 9 * * 1-5'] },
      duration: { type: 'string', minLength: 1, description: 'How long each window stays open: 30m, 8h, 48h.', examples: ['8h'] },
      timeZone: { type: 'string', minLength: 1, default: 'UTC', description: 'IANA time zone the schedule is read in (daylight saving included).', examples: ['Europe/Berlin'] },
    },
  },
  examples: [[{ kind: 'allow', schedule: '0 9 * * 1-5', duration: '8h', timeZone: 'Europe/Berlin' }]],
} as const
