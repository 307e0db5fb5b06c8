/**
 * No import circles in server/src (shared/STYLE.md): every relative import of every .ts file here, type-only imports
 * and re-exports included (a circle of types is still two files that cannot be read apart), followed from each file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The files of `known` that `file` imports (relative specifiers: `./x` is x.ts or x/index.ts). */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => join(dirname(file), name))
    .flatMap((base) => [`${base}.ts`, join(base, 'index.ts'), base].filter((p) => known.has(p)).slice(0, 1));
}

/** Every circle found by a depth-first walk, each as the files in import order, the first repeated at the end. */
function importCircles(files: readonly string[]): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, importsOf(f, known)]));
  const done = new Set<string>();
  const path: string[] = [];
  const circles: string[][] = [];
  const walk = (file: string): void => {
    const at = path.indexOf(file);
    if (at >= 0) return void circles.push([...path.slice(at), file]);
    if (done.has(file)) return;
    path.push(file);
    for (const next of edges.get(file) ?? []) walk(next);
    path.pop();
    done.add(file);
  };
  for (const f of files) walk(f);
  return circles;
}

describe('server/src imports', () => {
  it('run in no circle', () => {
    const files = sourceFiles(root);
    expect(files.length).toBeGreaterThan(50); // the walk found the sources
    const circles = importCircles(files).map((c) => c.map((f) => relative(root, f)).join(' > '));
    expect(circles).toEqual([]);
  });
});
