#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { InfraSyncError } from './core/errors.js'
import { VERSION } from './core/version.js'

const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }

function fail(e: unknown): never {
  if (e instanceof InfraSyncError) {
    process.stderr.write(`infra-sync: ${e.message} [${e.code}]\n`)
    // Exit 2 for a wrong command line (as for commander's own usage errors), 1 for a refusal or a failure.
    process.exit(e.code === 'USAGE' ? 2 : 1)
  }
  process.stderr.write(`infra-sync: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`)
  process.exit(70)
}

const program = new Command()
  .name('infra-sync')
  .description('Keeps a GitOps infra repository in step with the images source repositories build.')
  .version(VERSION, '-V, --version', "print infra-sync's version")
  .exitOverride()
  .showHelpAfterError()

program
  .command('serve')
  .description('run the service (with no configuration: ./data, SQLite, and a local infra repo at ./data/infra)')
  // Commands load lazily: `set-image` starts in a fraction of the time `serve` needs to import.
  .action(async () => (await import('./cli/serve.js')).serveCommand().catch(fail))

program
  .command('set-image')
  .description('set an image tag and/or digest in one file, changing nothing else (like `kustomize edit set image`)')
  .argument('<file>', 'the file to edit in place')
  .argument('<image>', 'IMAGE[:TAG][@DIGEST]')
  .option('--dry-run', 'print the edited file to stdout instead of writing it')
  .option('--key <path>', 'where in the file the image is, e.g. api.image.tag (Helm values)')
  .option('--format <format>', 'kustomize, helm, manifests or markers, when the file name and content do not say')
  .option('--image-policy <namespace:name...>', 'Flux ImagePolicy names whose $imagepolicy markers mean this image')
  .action(async (file: string, image: string, opts: { dryRun?: boolean; format?: string; key?: string; imagePolicy?: string[] }) => {
    try {
      const { setImageCommand } = await import('./cli/set-image.js')
      setImageCommand(file, image, opts, io)
    } catch (e) {
      fail(e)
    }
  })

program
  .command('notify')
  .description('tell the server an image was built (for source CI): signed with INFRA_SYNC_SECRET, retried on 429/503/network errors; --wait follows it to its outcome')
  .requiredOption('--server <url>', "the server's base URL, e.g. https://infra-sync.example")
  .option('--source <owner/repo>', 'the source repository (default: GITHUB_REPOSITORY or CI_PROJECT_PATH)')
  .requiredOption('--image <image>', 'the image repository, without tag or digest')
  .option('--tag <tag>', 'the tag pushed')
  .option('--digest <digest>', 'sha256:<hex> of what was pushed')
  .option('--commit <sha>', 'the source commit (default: GITHUB_SHA or CI_COMMIT_SHA)')
  .option('--ref <ref>', 'refs/heads/<branch> or refs/tags/<tag> (default: from the CI)')
  .option('--build-url <url>', 'a link to the build (default: the CI run)')
  .option('--emergency', 'pass deploy windows, where the server allows it for this source')
  .option('--id <webhook-id>', 'the delivery id (default: a new random one, kept across retries)')
  .option('--wait', 'follow the event until it is applied, proposed or refused; print the commit or pull request')
  .option('--timeout <seconds>', 'how long --wait follows it (default 900)')
  .option('--json', 'print the answer (or, with --wait, the final event) as JSON')
  .action(async (opts: import('./cli/notify.js').NotifyOptions) => {
    try {
      const { notifyCommand } = await import('./cli/notify.js')
      await notifyCommand(opts, { ...io, env: process.env })
    } catch (e) {
      fail(e)
    }
  })

program
  .command('history')
  .description('deployments of a service, newest first: when, where, from → to, source commit, commit or pull request and who merged, build')
  .argument('<service>', "the service's folder name")
  .option('--env <environment>', 'only this environment')
  .option('--limit <n>', 'at most this many rows (default 20, at most 1000)')
  .option('--server <url>', "the server's base URL (default: INFRA_SYNC_SERVER); sends INFRA_SYNC_ADMIN_TOKEN")
  .option('--json', 'print the rows as JSON')
  .action(async (service: string, opts: import('./cli/history.js').HistoryOptions) => {
    try {
      const { historyCommand } = await import('./cli/history.js')
      await historyCommand(service, opts, { ...io, env: process.env })
    } catch (e) {
      fail(e)
    }
  })

program
  .command('status')
  .description('what runs where: each service × environment with its value, since when, by which commit or pull request, pin, update mode, policy and open pull request')
  .argument('[service]', 'only this service (its folder name)')
  .option('--server <url>', "the server's base URL (default: INFRA_SYNC_SERVER); sends INFRA_SYNC_ADMIN_TOKEN")
  .option('--json', 'print the rows as JSON')
  .action(async (service: string | undefined, opts: import('./cli/status.js').StatusOptions) => {
    try {
      const { statusCommand } = await import('./cli/status.js')
      await statusCommand(service, opts, { ...io, env: process.env })
    } catch (e) {
      fail(e)
    }
  })

program
  .command('new')
  .description('register a service: make services/<service>/ from the basic folder, filled in, and check it as validate would')
  .argument('<service>', 'the folder name; <service>-<environment> names its Argo CD Applications')
  .requiredOption('--source <owner/repo>', 'the source repository whose CI builds the image')
  .requiredOption('--image <image>', 'the image it deploys, without a tag')
  .option('--env <environments>', "comma-separated environments (default: the basic folder's), e.g. dev,prod")
  .option('--dir <checkout>', 'the infra repo checkout (default: the current directory)')
  .option('--json', 'print the files created as a JSON list')
  .action(async (service: string, opts: import('./cli/new.js').NewOptions) => {
    try {
      const { newCommand } = await import('./cli/new.js')
      await newCommand(service, opts, io)
    } catch (e) {
      fail(e)
    }
  })

program
  .command('rollback')
  .description('set a service in an environment back to the value before the current one (or --to) through the normal pipeline, and pin it there until unpin')
  .argument('<service>', "the service's folder name")
  .argument('<env>', 'the environment')
  .option('--to <value>', 'the value to go back to: a tag, a digest or tag@digest (default: the one before the current one)')
  .option('--reason <text>', 'why, kept with the pin')
  .option('--force', 'pass deploy windows: the rollback goes out while they are closed')
  .option('--wait', 'follow the rollback until it is applied, proposed or refused; print the commit or pull request')
  .option('--timeout <seconds>', 'how long --wait follows it (default 900)')
  .option('--server <url>', "the server's base URL (default: INFRA_SYNC_SERVER); sends INFRA_SYNC_ADMIN_TOKEN")
  .option('--json', 'print the answer (or, with --wait, the final event) as JSON')
  .action(async (service: string, env: string, opts: import('./cli/rollback.js').RollbackOptions) => {
    try {
      const { rollbackCommand } = await import('./cli/rollback.js')
      await rollbackCommand(service, env, opts, { ...io, env: process.env })
    } catch (e) {
      fail(e)
    }
  })

program
  .command('unpin')
  .description('release the pin a rollback or POST /v1/pins set on a service in an environment: the next build applies')
  .argument('<service>', "the service's folder name")
  .argument('<env>', 'the environment')
  .option('--server <url>', "the server's base URL (default: INFRA_SYNC_SERVER); sends INFRA_SYNC_ADMIN_TOKEN")
  .option('--json', 'print the pin removed as JSON')
  .action(async (service: string, env: string, opts: import('./cli/unpin.js').UnpinOptions) => {
    try {
      const { unpinCommand } = await import('./cli/unpin.js')
      await unpinCommand(service, env, opts, { ...io, env: process.env })
    } catch (e) {
      fail(e)
    }
  })


program
  .command('validate')
  .description('check a working copy of an infra repo as a pull request would: every infra-sync.yaml, the environments and their files, the ApplicationSet')
  .argument('[dir]', 'the checkout (default: the current directory)')
  .option('--watch', 're-check on every save: print each new finding, and the valid line once all are fixed')
  .option('--json', 'print the findings as JSON: [{file, line, column, code, message}]')
  .action(async (dir: string | undefined, opts: { watch?: boolean; json?: boolean }) => {
    try {
      const { validateCommand } = await import('./cli/validate.js')
      process.exitCode = await validateCommand(dir, opts, io)
    } catch (e) {
      fail(e)
    }
  })

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2)
  fail(e)
}
