/*
 * A stand-in for bcryptprimitives.dll, for Wine releases older than 8.13, which do not ship it.
 *
 * The Rust standard library (1.78 and later) takes its random numbers from ProcessPrng in
 * bcryptprimitives.dll; without that DLL every Rust Windows program stops before main. Windows 10
 * and Server 2016 and later have it, so this file is only for running the test suite under an old
 * Wine. It forwards to RtlGenRandom (exported by advapi32 as SystemFunction036), which every
 * Windows and every Wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* RtlGenRandom takes a 32-bit length; ProcessPrng a pointer-sized one. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
