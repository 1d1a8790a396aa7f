/**
 * The version of the connector SDK (`nhi-audit/sdk`), apart from the tool's own: it changes major only when a
 * connector built for the previous major would break. A connector package names the major it was built for
 * (`sdkVersion`), and the loader refuses one built for another.
 */
export const SDK_VERSION = '1.0.0';

export const SDK_MAJOR = Number(SDK_VERSION.split('.')[0]);
