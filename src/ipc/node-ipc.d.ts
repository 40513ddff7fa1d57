// The slice of node-ipc 12.0.0 the transport uses (the package ships no types).
declare module 'node-ipc' {
  import type { Socket } from 'node:net';
  interface IpcConfig {
    appspace: string; socketRoot: string; id: string; encoding: BufferEncoding; rawBuffer: boolean;
    silent: boolean; maxRetries: number; stopRetrying: boolean; retry: number; maxConnections: number;
    unlink: boolean; sync: boolean;
  }
  interface IpcClient {
    socket: Socket;
    on(event: 'connect' | 'disconnect' | 'destroy', cb: () => void): void;
    on(event: 'data', cb: (data: Buffer) => void): void;
    on(event: 'error', cb: (err: Error) => void): void;
    emit(data: Buffer): void;
  }
  interface IpcServer {
    server: import('node:net').Server;
    on(event: 'connect', cb: (socket: Socket) => void): void;
    on(event: 'data', cb: (data: Buffer, socket: Socket) => void): void;
    on(event: 'error', cb: (err: Error) => void): void;
    emit(socket: Socket, data: Buffer): void;
    start(): void;
    stop(): void;
  }
  export class IPCModule {
    config: IpcConfig;
    of: Record<string, IpcClient>;
    server: IpcServer;
    serve(path: string, cb?: () => void): void;
    connectTo(id: string, path: string, cb?: () => void): void;
    disconnect(id: string): void;
  }
  const singleton: IPCModule;
  export default singleton;
}
