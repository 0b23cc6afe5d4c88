import { describe, expect, it } from 'vitest';
import { predictionWords } from './predictionWords.ts';

const digits = Array.from({ length: 10 }, (_, i) => String(i));

describe('predictionWords', () => {
  it('names the likeliest digit with its certainty and the runners-up worth naming', () => {
    const p = [0, 0.04, 0, 0, 0.005, 0, 0, 0.92, 0, 0.035];
    expect(predictionWords(p, digits, null)).toEqual({ article: 'a ', name: '7', sure: '(92% sure)', next: '; next: 1 (4.0%), 9 (3.5%)', verdict: null });
  });

  it('reads "an 8", says nothing of runners-up under 1%, and says whether a labelled example was right', () => {
    const p = [0.005, 0, 0, 0, 0, 0, 0, 0, 0.995, 0];
    expect(predictionWords(p, digits, 3)).toMatchObject({
      article: 'an ',
      name: '8',
      sure: '(100% sure)',
      next: '',
      verdict: 'It is labelled 3: the model is wrong.',
    });
  });

  it('uses class names as they are', () => {
    expect(predictionWords([0.2, 0.7, 0.1], ['red', 'green', 'blue'], 1)).toEqual({
      article: '',
      name: 'green',
      sure: '(70% sure)',
      next: '; next: red (20%), blue (10%)',
      verdict: 'It is labelled green: the model is right.',
    });
  });
});
