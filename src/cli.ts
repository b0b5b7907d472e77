#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { InfraSyncError } from './core/errors.js'

const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }

function fail(e: unknown): never {
  if (e instanceof InfraSyncError) {
    process.stderr.write(`infra-sync: ${e.message} [${e.code}]\n`)
    process.exit(1)
  }
  process.stderr.write(`infra-sync: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`)
  process.exit(70)
}

const program = new Command()
  .name('infra-sync')
  .description('Keeps a GitOps infra repository in step with the images source repositories build.')
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

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2)
  fail(e)
}
