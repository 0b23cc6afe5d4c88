import type { AnsweredQuery } from '@flock/fl-core/device';
import { formatTime } from '../format.ts';
import { answeredLines } from './answeredQueries.ts';
import './answeredQueries.css';

/** Federated-analytics queries this device answered, and exactly what left it for each: nothing else about its examples did. */
export function AnsweredQueries({ answered }: { answered: readonly AnsweredQuery[] }) {
  const lines = answeredLines(answered);
  return (
    <section className="card" data-testid="answered-queries">
      <h2>Questions this device answered</h2>
      {lines.length === 0 ? (
        <p className="muted">
          None yet. When the federation's operator asks the devices a question (how many examples carry each label, a column's statistics), the numbers this
          device sends are listed here, exactly as they left.
        </p>
      ) : (
        <ul className="answered-list">
          {lines.map((line) => (
            <li key={line.key} data-testid="answered-query">
              <strong>{line.title}</strong> <span className="muted">at {formatTime(line.at)}</span>
              <p>{line.whatLeaves}</p>
              <p className="muted">
                The {line.count} {line.count === 1 ? 'number' : 'numbers'} that left{line.layout ? `, ${line.layout}` : ''}:
              </p>
              <code className="answered-numbers" data-testid="answered-numbers">
                {line.numbers}
              </code>
              {line.masked ? (
                <p className="muted" data-testid="answered-masked">
                  They left masked, inside a secure sum: the coordinator saw only their total over many devices' answers, never these numbers.
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
