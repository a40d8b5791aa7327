import type { Command } from 'commander';
import { createRequire } from 'node:module';
import { backendPackageVersions, commandAction, formatTable, getDataset, listDatasets, matmulProbe, previewDataset, runtimeInfo, dataDir } from '@llm/core';


const require_ = createRequire(import.meta.url);

function versionOf(pkg: string): string | null {
  try {
    return (require_(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Packages `llm info` reports on. */
const PACKAGES = ['@llm/core', '@llm/cli', '@llm/tokenize', '@llm/eval', '@llm/embeddings', '@llm/seq', '@llm/transformer', '@llm/rag', '@llm/lora', '@llm/quant', '@llm/serve'];

/** `llm info`, `llm data list`, `llm data show`. */
export function registerCoreCommands(program: Command): void {
  commandAction(
    program.command('info').description('package versions, the active tensor backend (and why others were skipped), threads, and a 2-second matmul probe')
      .option('--probe-seconds <s>', 'length of the matmul probe', '2')
      .option('--no-probe', 'skip the matmul probe'),
    async (cmd: Command) => {
      const opts = cmd.opts<{ probeSeconds: string; probe: boolean }>();
      const info = await runtimeInfo();
      const versions: Record<string, string | null> = {};
      for (const p of PACKAGES) versions[p] = versionOf(p);
      Object.assign(versions, backendPackageVersions());
      const probe = opts.probe ? await matmulProbe({ size: 512, seconds: Number(opts.probeSeconds) }) : null;
      const human = [
        `node ${info.node} on ${info.platform}, ${info.cpus} × ${info.cpuModel}`,
        `active backend: ${info.backend.active} (tfjs '${info.backend.tfName}', chosen by ${info.backend.chosenBy}), threads per kernel: ${info.backendThreads}`,
        ...info.backend.attempts.filter((a) => !a.ok).map((a) => `  skipped ${a.name}: ${a.reason}`),
        info.backend.extraKernels.length ? `  kernels added by @llm/core: ${info.backend.extraKernels.join(', ')}` : '',
        probe ? `matmul ${probe.size}² float32: ${probe.gflops.toFixed(1)} GFLOP/s (${probe.iterations} runs in ${probe.seconds.toFixed(1)} s)` : '',
        'packages:',
        ...Object.entries(versions).map(([k, v]) => `  ${k.padEnd(30)} ${v ?? '-'}`),
      ].filter(Boolean);
      return { json: { ...info, packages: versions, matmul: probe }, human };
    },
  );

  const data = program.command('data').description('the bundled datasets');
  commandAction(data.command('list').description('list the bundled datasets'), async () => {
    const sets = listDatasets();
    return {
      json: { dataDir: dataDir(), datasets: sets },
      human: formatTable(['name', 'kind', 'items', 'MB', 'license'], sets.map((d) => [d.name, d.kind, d.items, (d.bytes / 1e6).toFixed(1), d.license])),
    };
  });
  commandAction(
    data.command('show').description('describe a dataset and preview its first items').argument('<name>', 'dataset name (see `llm data list`)').option('-n, --lines <n>', 'items to preview', '5'),
    async (name: string, cmd: Command) => {
      const n = Number(cmd.opts<{ lines: string }>().lines);
      const ds = getDataset(name);
      const preview = await previewDataset(name, n);
      return {
        json: { ...ds, preview },
        human: [`${ds.name} (${ds.kind}): ${ds.description}`, `items: ${ds.items}, ${(ds.bytes / 1e6).toFixed(1)} MB in ${ds.files.length} file(s)`, `source: ${ds.source}`, `license: ${ds.license}`, '', ...preview],
      };
    },
  );
}
