import type { z } from 'zod';

/** One problem with what a person entered: where (the path as "training.batchSize"), the field's name in words, and a sentence. */
export interface FieldProblem {
  path: string;
  field: string;
  text: string;
}

// Zod's own messages ("Too small: expected string to have >=1 characters") are written for programmers;
// the schemas' custom messages ("expected a whole number from 1 to 4096, got 0.5") are kept and reworded.
const ZOD_DEFAULT = /^(Too small|Too big|Invalid (input|option|key|element|string|number)|Unrecognized key)/;

/** "batchSize" -> "batch size"; the root of a form is "the federation". */
export function fieldName(path: readonly PropertyKey[]): string {
  const last = [...path].reverse().find((p) => typeof p === 'string');
  if (typeof last !== 'string') return 'the federation';
  return last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The issue as a sentence for the person who typed the value: what is wrong and what to enter instead. */
export function issueText(issue: z.core.$ZodIssue): string {
  const field = fieldName(issue.path);
  if (!ZOD_DEFAULT.test(issue.message)) return asSentence(reworded(issue.message));
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `Enter the ${field}.` : `Enter at least ${issue.minimum} characters.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `List at least ${issue.minimum}.`;
      return `Enter a number ${issue.inclusive ? 'of at least' : 'above'} ${issue.minimum}.`;
    case 'too_big':
      if (issue.origin === 'string') return `Shorten it to at most ${issue.maximum} characters.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `List at most ${issue.maximum}.`;
      return `Enter a number ${issue.inclusive ? 'of at most' : 'below'} ${issue.maximum}.`;
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'Enter a number.' : `Fill in the ${field}.`;
    case 'invalid_value':
      return `Choose one of ${issue.values.map(String).join(', ')}.`;
    case 'unrecognized_keys':
      return `Remove ${issue.keys.join(', ')}: no such setting.`;
    default:
      return `The ${field} is not valid: check what you entered.`;
  }
}

/** "expected a whole number from 1 to 4096, got 0.5" -> "Enter a whole number from 1 to 4096 (not 0.5)"; an empty entry (NaN) or a whole object is not echoed. */
function reworded(message: string): string {
  const expected = /^expected (.+), got (.+)$/s.exec(message);
  if (!expected) return message;
  const [, what, got] = expected as unknown as [string, string, string];
  const echo = got === 'NaN' || got === 'undefined' || got === 'null' || /^[[{]/.test(got) ? '' : ` (not ${got})`;
  return `enter ${what}${echo}`;
}

/** The text capitalised and ended with a full stop: a problem shown on its own. */
export function asSentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A sentence ("Only 2 devices ... redone.") read as a clause inside another: lower-cased first letter, no full stop. */
export function asClause(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1).replace(/\.$/, '');
}

/** Every issue of a failed parse, in words, keyed by where it is. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), field: fieldName(issue.path), text: issueText(issue) }));
}

/** "training.batchSize: expected ..." for each issue, joined by "; ": enough for a person to fix the message or file they sent. */
export function zodReason(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}
