/** Placeholder replaced by the HTTP module. */
export async function startServer(_options: { hostname: string; port: number }): Promise<void> {
  throw new Error('not yet');
}
