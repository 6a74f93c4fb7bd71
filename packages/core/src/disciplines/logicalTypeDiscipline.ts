import { isArrowDataType } from 'apache-arrow';
import { checkLogicalTypeCompat } from '../compat/logicalTypeCompat.js';
import type { LogicalTypeProvider } from '../surfaces/logicalType.js';
import type { KindDiscipline } from './discipline.js';
import { describeValue, shapeProblems } from './shape.js';

/**
 * Logical types: the Arrow extension contract (name, storage type, encoding version, metadata) must
 * be unchanged; any change is a hard error. No live resources are handed over.
 */
export const logicalTypeDiscipline: KindDiscipline<LogicalTypeProvider, never> & {
  readonly mode: 'extensionContract';
  readonly pausesCallers: false;
} = {
  kind: 'logicalType',
  mode: 'extensionContract',
  description: 'Arrow extension contract unchanged (name, storage type, encoding version, metadata); else hard error',
  pausesCallers: false,
  keyOf: (provider) => provider.name,
  validate: (provider) => {
    const problems = shapeProblems(provider, {
      strings: ['name'],
      numbers: ['encodingVersion'],
      optionalMethods: ['compatCheck'],
    });
    if (problems.length > 0 && problems[0]!.startsWith('expected an object')) return problems;
    const { storageType, metadata } = provider as Partial<LogicalTypeProvider>;
    if (!isArrowDataType(storageType))
      problems.push(`'storageType' must be an Arrow DataType (got ${describeValue(storageType)})`);
    if (typeof metadata !== 'string')
      problems.push(`'metadata' must be a string, "" when the type has none (got ${describeValue(metadata)})`);
    return problems;
  },
  checkCompat: checkLogicalTypeCompat,
};
