import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { expect, test } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Dark pixels (text) in a rectangle of the image. */
function inkIn(png: PNG, x0: number, y0: number, x1: number, y1: number): number {
  let ink = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const at = (y * png.width + x) * 4;
      if (png.data[at]! < 100 && png.data[at + 1]! < 100 && png.data[at + 2]! < 100) ink++;
    }
  return ink;
}

test('the chart labels render on a machine with no system fonts: the font comes from an npm package', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/unit/slack/renderFleetChart.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DISABLE_SYSTEM_FONTS_LOAD: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.stderr).toBe('');
  const { systemFonts, png: base64 } = JSON.parse(run.stdout) as { systemFonts: number; png: string };
  expect(systemFonts).toBe(0);
  const png = PNG.sync.read(Buffer.from(base64, 'base64'));
  expect(png.width).toBe(1200);
  // The title (top left) and the phone labels (left of the bars) are drawn: dark pixels where text goes.
  expect(inkIn(png, 20, 20, 800, 64)).toBeGreaterThan(2000);
  expect(inkIn(png, 0, 150, 300, 290)).toBeGreaterThan(1000);
});
