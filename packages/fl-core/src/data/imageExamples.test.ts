import { describe, expect, it } from 'vitest';
import type { ImageSchema } from '../config/datasetConfig.ts';
import { classOfFile, imageSizeProblem, imagesToDataset, toChannels } from './imageExamples.ts';

const schema: ImageSchema = { type: 'image', width: 28, height: 28, channels: 1, classes: ['cat', 'dog'] };

describe('image folder import against the schema', () => {
  it('takes the class from the folder that holds the file', () => {
    expect(classOfFile({ path: 'pets/dog/rex.JPG' }, schema)).toEqual({ ok: true, label: 1 });
    expect(classOfFile({ path: 'pets/horse/photo.png' }, schema)).toEqual({ ok: false, problem: 'pets/horse/photo.png: folder "horse" is not one of cat, dog' });
    expect(classOfFile({ path: 'pets/cat/notes.txt' }, schema)).toEqual({ ok: false, problem: 'pets/cat/notes.txt is not an image (png, jpg, gif, bmp or webp)' });
    expect(classOfFile({ path: 'photo.png' }, schema)).toEqual({
      ok: false,
      problem: 'photo.png is not in a class folder: pick a folder with one subfolder per class (cat, dog)',
    });
  });

  it('refuses an image smaller than the schema, scales larger ones down', () => {
    expect(imageSizeProblem('pets/cat/photo.png', 12, 12, schema)).toBe('pets/cat/photo.png is 12x12, smaller than the 28x28 this federation takes');
    expect(imageSizeProblem('pets/cat/big.png', 640, 480, schema)).toBeNull();
  });

  it('turns RGBA into luma or RGB and stacks the images with their labels', () => {
    const rgba = Uint8Array.from([255, 0, 0, 255, 10, 20, 30, 255]);
    expect([...toChannels(rgba, 1)]).toEqual([76, 18]);
    expect([...toChannels(rgba, 3)]).toEqual([255, 0, 0, 10, 20, 30]);
    const tiny = { ...schema, width: 1, height: 2 };
    const data = imagesToDataset([{ label: 1, pixels: toChannels(rgba, 1) }, { label: 0, pixels: Uint8Array.from([1, 2]) }], tiny);
    expect(data).toMatchObject({ count: 2, height: 2, width: 1, channels: 1, numClasses: 2 });
    expect([...data.labels]).toEqual([1, 0]);
    expect([...data.pixels]).toEqual([76, 18, 1, 2]);
  });
});
