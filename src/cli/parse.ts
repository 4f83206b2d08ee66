// Option parsers that turn text into typed values or say what was expected.

import { InvalidArgumentError } from 'commander';

export function number(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) {
      throw new InvalidArgumentError(`Expected ${flag} to be a number, got "${value}"`);
    }
    return parsed;
  };
}
