import { util } from 'apache-arrow';
import type { DataType, Field } from 'apache-arrow';
import type { CompatContext } from '../disciplines/discipline.js';
import type { LogicalTypeProvider } from '../surfaces/logicalType.js';
import { Compat, isCompatVerdict } from './verdict.js';
import type { CompatVerdict } from './verdict.js';

/**
 * The differences between two Arrow extension contracts: name, storage type (deep, children
 * included), encoding version and metadata. Each entry names the old and the new value.
 */
export function extensionContractDiff(old: LogicalTypeProvider, next: LogicalTypeProvider): string[] {
  const diffs: string[] = [];
  if (old.name !== next.name) diffs.push(`name ${JSON.stringify(old.name)} → ${JSON.stringify(next.name)}`);
  if (!util.compareTypes(old.storageType, next.storageType)) {
    diffs.push(`storage type ${describeType(old)} → ${describeType(next)}`);
  }
  if (old.encodingVersion !== next.encodingVersion)
    diffs.push(`encoding version ${old.encodingVersion} → ${next.encodingVersion}`);
  if (old.metadata !== next.metadata)
    diffs.push(`metadata ${JSON.stringify(old.metadata)} → ${JSON.stringify(next.metadata)}`);
  return diffs;
}

/**
 * The default compat check of a logical type: the extension contract must be unchanged (a hard
 * error otherwise); then the new provider's own `compatCheck`, if any, may add restrictions.
 */
export async function checkLogicalTypeCompat(
  old: LogicalTypeProvider,
  next: LogicalTypeProvider,
  context: CompatContext,
): Promise<CompatVerdict> {
  const diffs = extensionContractDiff(old, next);
  if (diffs.length > 0)
    return Compat.incompatible(`Arrow extension contract of '${old.name}' changed: ${diffs.join('; ')}`);
  if (!next.compatCheck) return Compat.compatible();
  if (context.progress) Object.assign(context.progress, { step: 'compatCheck', subject: `the new '${next.name}'` });
  let verdict: unknown;
  try {
    verdict = await next.compatCheck(old);
  } catch (error) {
    return Compat.incompatible(
      `compatCheck() of the new '${next.name}' threw: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isCompatVerdict(verdict))
    return Compat.incompatible(`compatCheck() of '${next.name}' returned something that is not a compat verdict`);
  return verdict;
}

function describeType(provider: LogicalTypeProvider): string {
  const type = provider.storageType;
  const name = (t: DataType): string => (t as { toString(): string }).toString();
  const children =
    (type.children as Field[] | undefined)?.map(
      (field) => `${field.name}: ${name(field.type as DataType)}${field.nullable ? '?' : ''}`,
    ) ?? [];
  return children.length > 0 ? `${name(type)} {${children.join(', ')}}` : name(type);
}
