/** A minimal JSON-RPC 2.0 connection with LSP's framing, for talking to the server over stdio. */
package dev.tandem.core.rpc;
