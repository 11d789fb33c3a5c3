// A real discoveryd for the interoperability tests: a temporary SQLite index made with the real
// discoveryctl (init, import of data/demo.jsonl and any extra records), served on a free loopback
// port. The binaries are read from MIMI_BUILD_DIR (ctest sets it), else from build/.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sourceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildDir = process.env.MIMI_BUILD_DIR || join(sourceDir, 'build');

function binary(name) {
  const path = join(buildDir, name);
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist; build first (scripts/setup.sh) or set MIMI_BUILD_DIR.`);
  }
  return path;
}

// Starts discoveryd over the demo index plus `records` (objects of DESIGN.md §6.2); `config` is an
// optional object written as its --config file. Resolves to {baseUrl, port, ctl(args), stop()}.
export async function startDiscoveryd({ records = [], config } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mimi-interop-'));
  const db = join(dir, 'index.db');
  const ctl = (args) => execFileSync(binary('discoveryctl'), ['--db', db, ...args], { encoding: 'utf8' });
  ctl(['init', '--issuer', 'dp.example']);
  ctl(['import', join(sourceDir, 'data', 'demo.jsonl')]);
  if (records.length) {
    const extra = join(dir, 'extra.jsonl');
    writeFileSync(extra, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    ctl(['import', extra]);
  }
  const args = ['--db', db, '--listen', '127.0.0.1:0'];
  if (config) {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(config));
    args.push('--config', path);
  }
  const child = spawn(binary('discoveryd'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const baseUrl = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`discoveryd did not start within 10 s: ${stderr}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`discoveryd exited with ${code} before listening: ${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { baseUrl, port: Number(new URL(baseUrl).port), ctl, stop };
}
