import { MemoryStore } from './memory/memoryStore.ts';
import { storeContract } from './storeContract.ts';

storeContract('memory', async (options) => new MemoryStore(options));
