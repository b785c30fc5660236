/**
 * Every type a user meets in the public API can be named: a type that appears in the signature of
 * anything an entry point exports (a parameter, a return type, a property, a base interface),
 * and, in turn, in those types' own members, is exported by an entry point too. Otherwise a user
 * cannot write `const listener: TrainingListener = …` for the function that takes one.
 * Checked with the TypeScript compiler on the source entries package.json's "exports" names.
 */
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { entrySources, root } from './entry-sources.js';

const sourceFolder = join(root, 'src');


/** Declarations that name a type a user may need to write down. */
function isNamedTypeDeclaration(node: ts.Declaration): boolean {
  return ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node);
}

function isNonPublicMember(node: ts.Node): boolean {
  if (!ts.canHaveModifiers(node)) return false;
  const modifiers = ts.getModifiers(node) ?? [];
  if (modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.PrivateKeyword || modifier.kind === ts.SyntaxKind.ProtectedKeyword)) return true;
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && ts.isPrivateIdentifier(name);
}

test('every type in an exported signature is exported by an entry point', () => {
  const entries = entrySources();
  const program = ts.createProgram([...entries.values()], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
  });
  const checker = program.getTypeChecker();
  const resolveAlias = (symbol: ts.Symbol): ts.Symbol => ((symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol);

  const exported = new Set<ts.Symbol>();
  /** Declarations to read, with the export that led to them (for the message). */
  const queue: { declaration: ts.Declaration; via: string }[] = [];
  for (const [entry, file] of entries) {
    const source = program.getSourceFile(file);
    assert.ok(source !== undefined, `${file} (the source of '${entry}') was not found`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    assert.ok(moduleSymbol !== undefined, `${file} is not a module`);
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = resolveAlias(symbol);
      exported.add(target);
      for (const declaration of target.declarations ?? []) queue.push({ declaration, via: `'${entry}' ${symbol.name}` });
    }
  }

  const read = new Set<ts.Declaration>();
  const problems = new Map<string, string>();
  const noteReference = (name: ts.Node, via: string): void => {
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol === undefined) return;
    const target = resolveAlias(symbol);
    for (const declaration of target.declarations ?? []) {
      const file = declaration.getSourceFile().fileName;
      if (!file.startsWith(sourceFolder) || file.startsWith(join(sourceFolder, 'types')) || !isNamedTypeDeclaration(declaration)) continue;
      if (!exported.has(target)) {
        const where = `${relative(root, file)}:${declaration.getSourceFile().getLineAndCharacterOfPosition(declaration.getStart()).line + 1}`;
        problems.set(target.name, `${target.name} (${where}), met through ${via}`);
      }
      queue.push({ declaration, via: `${via} → ${target.name}` });
    }
  };
  const visit = (node: ts.Node, via: string): void => {
    // Bodies and initial values are the implementation, not the signature.
    if (ts.isBlock(node) || isNonPublicMember(node)) return;
    if (ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isParameter(node)) {
      if (node.type !== undefined) visit(node.type, via);
      return;
    }
    if (ts.isTypeReferenceNode(node)) noteReference(node.typeName, via);
    else if (ts.isExpressionWithTypeArguments(node)) noteReference(node.expression, via);
    else if (ts.isTypeQueryNode(node)) noteReference(node.exprName, via);
    ts.forEachChild(node, (child) => visit(child, via));
  };
  while (queue.length > 0) {
    const { declaration, via } = queue.pop()!;
    if (read.has(declaration)) continue;
    read.add(declaration);
    if (ts.isClassDeclaration(declaration)) {
      for (const clause of declaration.heritageClauses ?? []) visit(clause, via);
      for (const member of declaration.members) if (!isNonPublicMember(member)) visit(member, via);
    } else {
      visit(declaration, via);
    }
  }
  assert.deepEqual([...problems.values()].sort(), [], 'types in exported signatures that no entry point exports');
});
