/** The few parts of stompit 1.0.0 (a CommonJS package without types) that the integration tests use. */
declare module 'stompit' {
  import type { EventEmitter } from 'node:events';
  import type { Writable } from 'node:stream';

  namespace stompit {
    interface StompitMessage extends NodeJS.ReadableStream {
      headers: Record<string, string>;
      readString(encoding: string, callback: (error: Error | null, body?: string) => void): void;
    }

    interface StompitSubscription {
      getId(): string | number;
      unsubscribe(headers?: Record<string, string>): void;
    }

    interface SendFrameOptions {
      onReceipt?: () => void;
    }

    interface StompitTransaction {
      send(headers: Record<string, string>, options?: SendFrameOptions): Writable;
      commit(options?: SendFrameOptions): void;
      abort(options?: SendFrameOptions): void;
    }

    class Client extends EventEmitter {
      send(headers: Record<string, string> | string, options?: SendFrameOptions): Writable;
      subscribe(headers: Record<string, string>,
        listener: (error: Error | null, message: StompitMessage) => void): StompitSubscription;
      ack(message: StompitMessage, headers?: Record<string, string>, options?: SendFrameOptions,
        callback?: (error?: Error | null) => void): void;
      nack(message: StompitMessage, headers?: Record<string, string>, options?: SendFrameOptions,
        callback?: (error?: Error | null) => void): void;
      begin(headers?: Record<string, string> | string): StompitTransaction;
      disconnect(callback?: (error: Error | null) => void): void;
      destroy(error?: Error): void;
    }

    interface ConnectOptions {
      host?: string;
      port?: number;
      timeout?: number;
      connectHeaders?: Record<string, string>;
    }

    function connect(options: ConnectOptions, callback: (error: Error | null, client: Client) => void): Client;
  }

  export = stompit;
}
