/**
 * Gathers what is sent under one key in one turn of the event loop and hands it on as one list, in order:
 * thousands of devices answering at once become one emission per key and turn, not one each.
 */
export function sendPerTurn<K, T>(send: (key: K, items: T[]) => void): (key: K, item: T) => void {
  const waiting = new Map<K, T[]>();
  return (key, item) => {
    const list = waiting.get(key);
    if (list) return void list.push(item);
    waiting.set(key, [item]);
    setImmediate(() => {
      const items = waiting.get(key)!;
      waiting.delete(key);
      send(key, items);
    });
  };
}
