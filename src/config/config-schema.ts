/**
 * The JSON Schema of the server's config file, infra-sync.config.yaml:
 * loadConfig checks the file with it, and `npm run schemas` publishes it as
 * schemas/infra-sync.config.schema.json for editors. Semantic checks (secret
 * length, branch name, repo URL, env variables that must be set) stay in the
 * loader, because the environment can say the same things.
 */
import { WINDOWS_SCHEMA } from '../windows/window-schema.js'

const text = (description: string) => ({ type: 'string', minLength: 1, description })

const secretText = (description: string) => text(`${description} At least 24 bytes; never printed.`)
const secretList = (description: string) => ({
  type: 'array',
  minItems: 1,
  items: { type: 'string', minLength: 1 },
  description: `${description} Each at least 24 bytes; never printed.`,
})
const envName = (description: string) => ({ type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description })

const source = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description:
    'The secrets of one source repository, and how it hears back. At least one secret: a Standard Webhooks secret (POST /v1/events), a GitHub hook secret (POST /v1/webhooks/github?source=owner/repo), or both.',
  properties: {
    secret: secretText('The Standard Webhooks secret this source signs its events with.'),
    secrets: secretList('Several Standard Webhooks secrets, all valid at once: old and new during a rotation.'),
    secretEnv: envName('An environment variable holding the Standard Webhooks secret; space-separated for a rotation. Refused when it is unset or empty.'),
    githubSecret: secretText("The secret of this repository's own GitHub webhook; it speaks only for this repository."),
    githubSecrets: secretList("Several secrets of this repository's own GitHub webhook: old and new during a rotation."),
    githubSecretEnv: envName("An environment variable holding this repository's GitHub webhook secret; space-separated for a rotation. Refused when it is unset or empty."),
    report: {
      type: 'string',
      enum: ['status', 'deployments'],
      description:
        'How this repository hears about its builds (needs a forge): status, a commit status infra-sync/<environment> on the build\'s commit; deployments, a GitHub deployment with its statuses. Unset: not told. Not a secret: a source still needs one of its secrets.',
    },
    emergency: {
      type: 'boolean',
      default: false,
      description: 'Whether this source\'s events may say emergency: true and pass deploy windows; from any other source such an event is refused (403 EMERGENCY_FORBIDDEN).',
    },
  },
}

/** One entry of `repos:`. */
const repo = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  description: 'One infra repo of several.',
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: "Names the repo in logs, /readyz and its store namespace (a PostgreSQL schema, a SQLite file beside the default one); default: from the URL's last two path segments (acme-infra), with the branch when it is not main. Renaming it starts its history afresh.",
    },
    url: text('An https:// (or http://) URL, an SSH URL, or a path to a local bare repository.'),
    branch: text('The branch Argo CD deploys from; default: branch, else main.'),
    tokenEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'The environment variable holding the token for this repo (https Basic password, and the forge API); refused when unset or empty.' },
    forge: { type: 'string', enum: ['github'], description: 'Where its pull requests are opened; implied for a github.com repo.' },
    transport: { type: 'string', enum: ['builtin', 'cli'], description: 'How an http(s) remote is reached; default: gitTransport.' },
  },
} as const

const positive = (description: string, integer = false) => ({ type: integer ? 'integer' : 'number', exclusiveMinimum: 0, description })

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'infra-sync.config.yaml',
  description: 'The infra-sync server configuration. Every setting is optional; where an environment variable says the same thing, the environment wins.',
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080, description: 'The port to listen on (env PORT).' },
    host: text('The address to listen on (env HOST); default 127.0.0.1, 0.0.0.0 in a container.'),
    data: text('The data folder: SQLite file, clones, embedded repo (env INFRA_SYNC_DATA); default ./data.'),
    repo: text('The infra repo: an https:// (or http://) URL, an SSH URL (ssh://user@host/path or user@host:path), or a path to a local bare repository (env INFRA_SYNC_REPO). Default: the embedded repo in the data folder.'),
    branch: text('The branch Argo CD deploys from (env INFRA_SYNC_BRANCH); default main.'),
    repos: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: { $ref: '#/definitions/repo' },
      description:
        'Several infra repos served by one deployment, each with its own worker, lease and store namespace; an event goes to every repo and deploys where a service folder names its image. Not together with repo; INFRA_SYNC_REPO, when set, wins and is the one repo.',
    },
    gitToken: text('Token for https, sent as the HTTP Basic password (env INFRA_SYNC_GIT_TOKEN).'),
    gitUsername: text('Username sent with the token (env INFRA_SYNC_GIT_USERNAME); default x-access-token.'),
    gitTransport: {
      type: 'string',
      enum: ['builtin', 'cli'],
      description: "How http(s) remotes are reached (env INFRA_SYNC_GIT_TRANSPORT): builtin, infra-sync's own smart-HTTP client (default), or cli, the git binary with its credential helpers and options. SSH URLs always use the git binary.",
    },
    sshKeyFile: text('The private key git uses over SSH (env INFRA_SYNC_SSH_KEY_FILE); default: ssh\'s own.'),
    sshKnownHosts: text('The known_hosts file that names the SSH server\'s host key (env INFRA_SYNC_SSH_KNOWN_HOSTS); with it, no other host key is trusted.'),
    databaseUrl: text('The store (env INFRA_SYNC_DATABASE_URL): sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DATABASE for PostgreSQL; default sqlite:<data>/infra-sync.db.'),
    secret: secretText('A shared fallback Standard Webhooks secret for sources without their own (env INFRA_SYNC_SECRET); development only.'),
    githubSecret: secretText(
      "The secret of the infra repository's own GitHub webhook or of a GitHub App's webhook (env INFRA_SYNC_GITHUB_SECRET); space-separated during a rotation.",
    ),
    forge: {
      type: 'string',
      enum: ['github'],
      description: 'Where pull requests are opened (env INFRA_SYNC_FORGE): github, for github.com or GitHub Enterprise Server; implied for a github.com repo. Unset otherwise: environments with update: pull-request are skipped.',
    },
    githubApiUrl: text('The GitHub REST API (env INFRA_SYNC_GITHUB_API_URL); default https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.'),
    githubAppId: {
      type: ['integer', 'string'],
      minLength: 1,
      minimum: 1,
      description: "A GitHub App's id or client id (env INFRA_SYNC_GITHUB_APP_ID): infra-sync then acts as the App, with installation tokens for git and the API, instead of gitToken.",
    },
    githubAppPrivateKeyFile: text("The App's private key, a PEM file as GitHub gives it (env INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE, or the key itself in INFRA_SYNC_GITHUB_APP_PRIVATE_KEY); read at start, never printed."),
    githubPacing: {
      type: 'object',
      additionalProperties: false,
      description:
        "How far apart infra-sync spaces its GitHub writes. Default: GitHub's advice for integrations, 1 s between writes and 3 s between those that notify people (opening a PR). A GitHub Enterprise Server without secondary rate limits (or a test) may lower them; rate-limit answers are waited out either way.",
      properties: {
        writeMs: { type: 'number', minimum: 0, description: 'Milliseconds between writes; default 1000.' },
        notificationMs: { type: 'number', minimum: 0, description: 'Milliseconds between writes that notify people (opening a PR, requesting reviewers); default 3000.' },
      },
    },
    githubAppInstallationId: positive("The App's installation on the infra repository's owner (env INFRA_SYNC_GITHUB_APP_INSTALLATION_ID); default: looked up from the repository.", true),
    adminToken: secretText('Bearer token for the operator endpoints (env INFRA_SYNC_ADMIN_TOKEN).'),
    sources: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$', maxLength: 200, description: 'A source repository as owner/repo.' },
      additionalProperties: { $ref: '#/definitions/source' },
      description: 'Per source repository (owner/repo, case-insensitive): its webhook secrets, and how it hears about its builds.',
    },
    author: {
      type: 'object',
      additionalProperties: false,
      description: 'The author of the commits infra-sync makes.',
      properties: {
        name: text('Commit author name (env INFRA_SYNC_AUTHOR_NAME); default infra-sync.'),
        email: text('Commit author email (env INFRA_SYNC_AUTHOR_EMAIL); default infra-sync@localhost.'),
      },
    },
    worker: {
      type: 'object',
      additionalProperties: false,
      description: 'How the worker batches, retries and forgets events.',
      properties: {
        batchSize: positive('Events per commit at most; default 200.', true),
        maxAttempts: positive('Attempts of an event whose own problem fails it, before it is dead; default 8.', true),
        pushRetries: positive('Re-plans after a rejected push, within one batch; default 10.', true),
        pollMs: positive('How often the worker looks for due events when idle, in milliseconds; default 1000.'),
        retryBaseMs: positive('The first retry delay of a failed event, in milliseconds; doubled each attempt; default 1000.'),
        retryCapMs: positive('The longest retry delay, in milliseconds; default 300000.'),
        prPollMs: positive('How often open pull requests are looked at when no webhook said so, in milliseconds; default 30000.'),
        leaseTtlMs: { type: 'number', minimum: 1000, maximum: 120000, description: "How long a repo's lease lasts unless renewed (every third of it), in milliseconds: a killed leader's replica takes over after at most this; default 10000." },
        retentionDays: { type: 'number', minimum: 3, description: 'Finished events (and their delivery ids) are kept this long, in days; at least 3 (senders may redeliver for three days); default 30.' },
      },
    },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'The log level (env LOG_LEVEL).' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      description: 'Events per second per source, and the burst allowed above it (env INFRA_SYNC_RATE_LIMIT=<perSecond>/<burst>).',
      properties: {
        perSecond: { type: 'number', minimum: 0, default: 50, description: 'Events per second per source; 0 turns the limit off.' },
        burst: { type: 'number', minimum: 1, default: 500, description: 'Events a source may send at once above its rate; default the larger of 500 and 10 × perSecond.' },
      },
    },
    notifications: {
      type: 'object',
      additionalProperties: false,
      description: 'Where people are told what infra-sync does; a service names its targets with notify: [name, …] in its infra-sync.yaml.',
      properties: {
        targets: {
          type: 'object',
          description: 'Named targets: ops: { slack: { urlEnv: OPS_SLACK_URL } }, audit: { webhook: { url: …, secretEnv: AUDIT_SECRET } }.',
          propertyNames: { pattern: '^[A-Za-z0-9_-]{1,64}$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            description: 'One target: a Slack-compatible incoming webhook, or a generic webhook signed with Standard Webhooks.',
            properties: {
              slack: { type: 'object', additionalProperties: false, description: 'A Slack-compatible incoming webhook: a Block Kit message per notification.', properties: { url: text('The incoming webhook URL (it holds a token: prefer urlEnv).'), urlEnv: envName('The environment variable holding the incoming webhook URL.') } },
              webhook: {
                type: 'object',
                additionalProperties: false,
                description: 'A generic webhook: the notification as JSON, signed per Standard Webhooks, its webhook-id the same on every retry.',
                properties: { url: text('Where the signed JSON is POSTed.'), urlEnv: envName('The environment variable holding the URL.'), secret: secretText('The Standard Webhooks secret the receiver verifies with (whsec_… or 24+ bytes).'), secretEnv: envName('The environment variable holding the secret.') },
              },
            },
          },
        },
      },
    },
    argocd: {
      type: 'object',
      additionalProperties: false,
      description: 'Argo CD, for promotion after health (promote: in a service). Env INFRA_SYNC_ARGOCD_URL, INFRA_SYNC_ARGOCD_TOKEN and INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN win.',
      properties: {
        url: text("The Argo CD API server's base URL (env INFRA_SYNC_ARGOCD_URL)."),
        tokenEnv: envName('The environment variable holding a bearer token allowed to get the Applications (default INFRA_SYNC_ARGOCD_TOKEN).'),
        webhookTokenEnv: envName('The environment variable holding the token Argo CD notifications send to POST /v1/webhooks/argocd (default INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN).'),
        pollMs: { type: 'number', minimum: 1000, maximum: 10000, default: 5000, description: "How often each waiting promotion's Application is asked about, in milliseconds." },
      },
    },
    windows: { ...WINDOWS_SCHEMA, description: `The server's deploy windows, for every service and environment that names none of its own. ${WINDOWS_SCHEMA.description}` },
    http: {
      type: 'object',
      additionalProperties: false,
      description: 'How long a client may take.',
      properties: {
        headersTimeoutMs: { type: 'number', minimum: 100, default: 10000, description: 'Time for a request\'s headers, in milliseconds; not longer than requestTimeoutMs.' },
        requestTimeoutMs: { type: 'number', minimum: 100, default: 30000, description: 'Time for a whole request, in milliseconds.' },
      },
    },
  },
  definitions: { source, repo },
} as const
