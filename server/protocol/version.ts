/** Protocol version announced in `capabilities.experimental.tandem.protocolVersion`. */
export const PROTOCOL_VERSION = 1;
