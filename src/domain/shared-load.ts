// Loads each key once and shares the load: models, sessions and pipelines are expensive
// to open and are asked for by many jobs at once. A failed load is forgotten, so the next
// caller tries again rather than inheriting the error for good.

export function sharedLoad<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = load();
    cache.set(key, loaded);
    loaded.catch(() => cache.delete(key));
  }
  return loaded;
}
