/** Server flags for tests: no fsync (a crash of the machine is not what the tests exercise). */
export const TEST_FLAGS: readonly string[] = ['-c', 'fsync=off', '-c', 'full_page_writes=off'];
