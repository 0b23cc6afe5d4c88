import { describe, expect, it } from 'vitest';
import { allowedActions } from './allowedActions.ts';

describe('allowedActions', () => {
  it('offers pause while running, resume while paused, and nothing once stopped or finished', () => {
    expect([...allowedActions('idle')]).toEqual(['start', 'stop']);
    expect([...allowedActions('training')]).toEqual(['pause', 'stop']);
    expect([...allowedActions('waiting')]).toEqual(['pause', 'stop']);
    expect([...allowedActions('paused')]).toEqual(['resume', 'stop']);
    expect([...allowedActions('stopped')]).toEqual([]);
    expect([...allowedActions('finished')]).toEqual([]);
    expect([...allowedActions(undefined)]).toEqual([]);
  });
});
