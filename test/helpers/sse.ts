// A minimal server-sent-events reader over fetch, for tests.

export interface ServerEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Reads events until the server ends the stream; `onEvent` sees each as it arrives. */
export async function readEvents(url: string, onEvent: (event: ServerEvent) => void = () => {}, signal?: AbortSignal): Promise<ServerEvent[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
  if (!response.ok || !response.body) throw new Error(`event stream ${url}: HTTP ${response.status}`);
  const events: ServerEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (!data) continue;
      const event = { type, data: JSON.parse(data) as Record<string, unknown> };
      events.push(event);
      onEvent(event);
    }
  }
  return events;
}
