// SECURITY.md's requirement table is made from these tests' names; it must not drift from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentTable, renderTable, securityTests } from '../../scripts/security-table.mjs';

test('SECURITY.md lists every test of test/security with its ASVS requirement, and nothing else', () => {
  const tests = securityTests();
  assert.ok(tests.length > 0, 'the security suite has tests named by requirement');
  const table = currentTable();
  assert.notEqual(table, null, 'SECURITY.md has the asvs-table block');
  assert.equal(table, renderTable(tests), 'run `node scripts/security-table.mjs --write` after changing test/security');
});

test('every requirement id names an ASVS 5.0 chapter the table knows', () => {
  for (const t of securityTests()) {
    assert.match(renderTable([t]), /\| V\d+(\.\d+)+ \| [A-Z][A-Za-z]/, `${t.file}: ${t.requirement} ${t.name}`);
  }
});
