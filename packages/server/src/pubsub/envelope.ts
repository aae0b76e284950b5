import { bytesOf, type MessageData } from './types.js';

/** A publish as it travels over IPC. Node's IPC speaks JSON, so bytes travel as base64. */
export interface PublishEnvelope {
  percore: 'publish';
  topic: string;
  data: string;
  base64: boolean;
  binary: boolean;
  compress: boolean;
}

export interface Publish {
  topic: string;
  message: string | Buffer;
  isBinary: boolean;
  compress: boolean;
}

export function toEnvelope(topic: string, message: MessageData, isBinary: boolean, compress: boolean): PublishEnvelope {
  if (typeof message === 'string') return { percore: 'publish', topic, data: message, base64: false, binary: isBinary, compress };
  return { percore: 'publish', topic, data: bytesOf(message).toString('base64'), base64: true, binary: isBinary, compress };
}

export function fromEnvelope(envelope: PublishEnvelope): Publish {
  return {
    topic: envelope.topic,
    message: envelope.base64 ? Buffer.from(envelope.data, 'base64') : envelope.data,
    isBinary: envelope.binary,
    compress: envelope.compress,
  };
}

export function isPublishEnvelope(value: unknown): value is PublishEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const envelope = value as Partial<PublishEnvelope>;
  return (
    envelope.percore === 'publish' &&
    typeof envelope.topic === 'string' &&
    typeof envelope.data === 'string' &&
    typeof envelope.base64 === 'boolean' &&
    typeof envelope.binary === 'boolean' &&
    typeof envelope.compress === 'boolean'
  );
}
