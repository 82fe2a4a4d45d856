import { isIPv4, isIPv6 } from "node:net";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isLoopbackIPv4(text: string): boolean {
  const match = IPV4.exec(text);
  if (match === null) return false;
  for (let i = 1; i <= 4; i++) {
    const octet = match[i] as string;
    // Leading zeros are refused: some resolvers read them as octal.
    if (Number(octet) > 255 || (octet.length > 1 && octet.charCodeAt(0) === 48)) return false;
  }
  return match[1] === "127";
}

function isLoopbackIPv6(text: string): boolean {
  return (
    isIPv6(text) && (text === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(text) || /^0{1,4}(:0{1,4}){0,5}::1$/.test(text))
  );
}

/**
 * A bare host name or address (no port, IPv6 without brackets) that is
 * loopback: `localhost`, 127.0.0.0/8 or ::1.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const lower = hostname.toLowerCase();
  return lower === "localhost" || lower === "localhost." || isLoopbackIPv4(lower) || isLoopbackIPv6(lower);
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535;
}

/**
 * A `Host` header naming a loopback host: `localhost`, `127.x.x.x` or `[::1]`,
 * each with an optional port. The DNS-rebinding guard: a page on evil.example
 * that rebinds its name to 127.0.0.1 still sends `Host: evil.example`.
 */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined || hostHeader.length === 0) return false;
  if (hostHeader.charCodeAt(0) === 91 /* [ */) {
    const close = hostHeader.indexOf("]");
    if (close === -1) return false;
    const rest = hostHeader.slice(close + 1);
    if (rest.length > 0 && !(rest.charCodeAt(0) === 58 /* : */ && isPort(rest.slice(1)))) return false;
    return isLoopbackIPv6(hostHeader.slice(1, close).toLowerCase());
  }
  const colon = hostHeader.lastIndexOf(":");
  if (colon === -1) return isLoopbackHostname(hostHeader);
  if (!isPort(hostHeader.slice(colon + 1))) return false;
  const name = hostHeader.slice(0, colon);
  // An unbracketed IPv6 literal is not a valid Host header.
  return name.indexOf(":") === -1 && isLoopbackHostname(name);
}

/** An `Origin` header whose host is loopback (`http://localhost:3000`, `https://127.0.0.1`, `http://[::1]:8080`). */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null"
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const host = url.hostname;
  const bare = host.charCodeAt(0) === 91 ? host.slice(1, -1) : host;
  return isLoopbackHostname(bare);
}

/** An address the listener may bind to: 127.0.0.0/8, ::1 or `localhost`. */
export function isLoopbackAddress(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  if (isIPv4(host)) return isLoopbackIPv4(host);
  return isLoopbackIPv6(host.toLowerCase());
}
