/* Our declarations of the Redis module API (Redis 7.0; works with 6.2 and later, KeyDB, Valkey).
 *
 * Debian ships no redismodule.h, and we do not copy Redis's. What is here are facts of the interface taken
 * from the module API reference: names, signatures, constant values and struct layouts. Every API function
 * is a pointer named RedisModule_<Name>, filled at load time by rm_api_init() through the getter that Redis
 * places as the first pointer of the context handed to RedisModule_OnLoad.
 *
 * The list of functions is one X-macro table (RM_API_FUNCS), so the declarations, the definitions and the
 * lookup loop cannot drift apart. Functions marked OPT may be missing on older servers: their pointer then
 * stays NULL and the code that uses them checks first.
 */
#ifndef LOCUS_REDISMODULE_API_H
#define LOCUS_REDISMODULE_API_H

#include <stddef.h>
#include <stdint.h>

#define REDISMODULE_OK 0
#define REDISMODULE_ERR 1
#define REDISMODULE_APIVER_1 1

#define REDISMODULE_READ (1 << 0)
#define REDISMODULE_WRITE (1 << 1)

#define REDISMODULE_NO_EXPIRE -1

#define REDISMODULE_KEYTYPE_EMPTY 0
#define REDISMODULE_KEYTYPE_STRING 1
#define REDISMODULE_KEYTYPE_MODULE 6

#define REDISMODULE_REPLY_STRING 0
#define REDISMODULE_REPLY_ERROR 1
#define REDISMODULE_REPLY_INTEGER 2
#define REDISMODULE_REPLY_ARRAY 3
#define REDISMODULE_REPLY_NULL 4

#define REDISMODULE_POSTPONED_ARRAY_LEN -1

#define REDISMODULE_CTX_FLAGS_MULTI (1 << 1)
#define REDISMODULE_CTX_FLAGS_LUA (1 << 0)
#define REDISMODULE_CTX_FLAGS_CLUSTER (1 << 5)
#define REDISMODULE_CTX_FLAGS_DENY_BLOCKING (1 << 21)

#define REDISMODULE_AUX_BEFORE_RDB (1 << 0)
/* SetModuleOptions: a short read or corrupt value in RDB/RESTORE data sets the IO error flag (IsIOError) and
 * the load fails cleanly, instead of Redis panicking inside our decoder. */
#define REDISMODULE_OPTIONS_HANDLE_IO_ERRORS (1 << 0)
#define REDISMODULE_TYPE_METHOD_VERSION_USED 3

#define REDISMODULE_ERRORMSG_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleKey RedisModuleKey;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleCallReply RedisModuleCallReply;
typedef struct RedisModuleIO RedisModuleIO;
typedef struct RedisModuleType RedisModuleType;
typedef struct RedisModuleDigest RedisModuleDigest;
typedef struct RedisModuleBlockedClient RedisModuleBlockedClient;
typedef struct RedisModuleDefragCtx RedisModuleDefragCtx;

typedef int (*RedisModuleCmdFunc)(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
typedef void (*RedisModuleDisconnectFunc)(RedisModuleCtx *ctx, RedisModuleBlockedClient *bc);
typedef struct RedisModuleScanCursor RedisModuleScanCursor;
typedef struct RedisModuleInfoCtx RedisModuleInfoCtx;
typedef uint64_t RedisModuleTimerID;
typedef void (*RedisModuleTimerProc)(RedisModuleCtx *ctx, void *data);
typedef void (*RedisModuleInfoFunc)(RedisModuleInfoCtx *ctx, int for_crash_report);
typedef void (*RedisModuleScanCB)(RedisModuleCtx *ctx, RedisModuleString *keyname, RedisModuleKey *key,
                                  void *privdata);

/* Server events (SubscribeToServerEvent): an event is its id and the version of the data passed with it. */
typedef struct RedisModuleEvent {
    uint64_t id;
    uint64_t dataver;
} RedisModuleEvent;
typedef void (*RedisModuleEventCallback)(RedisModuleCtx *ctx, RedisModuleEvent eid, uint64_t subevent, void *data);
/* Fired on the main thread once a shutdown is decided (SHUTDOWN, SIGTERM/SIGINT), before the server exits. */
#define REDISMODULE_EVENT_SHUTDOWN 5
#define REDISMODULE_EVENT_SHUTDOWN_DATAVER 1

/* Data type callbacks. */
typedef void *(*RedisModuleTypeLoadFunc)(RedisModuleIO *rdb, int encver);
typedef void (*RedisModuleTypeSaveFunc)(RedisModuleIO *rdb, void *value);
typedef int (*RedisModuleTypeAuxLoadFunc)(RedisModuleIO *rdb, int encver, int when);
typedef void (*RedisModuleTypeAuxSaveFunc)(RedisModuleIO *rdb, int when);
typedef void (*RedisModuleTypeRewriteFunc)(RedisModuleIO *aof, RedisModuleString *key, void *value);
typedef size_t (*RedisModuleTypeMemUsageFunc)(const void *value);
typedef void (*RedisModuleTypeDigestFunc)(RedisModuleDigest *digest, void *value);
typedef void (*RedisModuleTypeFreeFunc)(void *value);
typedef size_t (*RedisModuleTypeFreeEffortFunc)(RedisModuleString *key, const void *value);
typedef void (*RedisModuleTypeUnlinkFunc)(RedisModuleString *key, const void *value);
typedef void *(*RedisModuleTypeCopyFunc)(RedisModuleString *fromkey, RedisModuleString *tokey,
                                         const void *value);
typedef int (*RedisModuleTypeDefragFunc)(RedisModuleDefragCtx *ctx, RedisModuleString *key, void **value);

/* Layout of the type-methods struct up to version 3 (the fields Redis reads for that version). */
typedef struct RedisModuleTypeMethods {
    uint64_t version;
    RedisModuleTypeLoadFunc rdb_load;
    RedisModuleTypeSaveFunc rdb_save;
    RedisModuleTypeRewriteFunc aof_rewrite;
    RedisModuleTypeMemUsageFunc mem_usage;
    RedisModuleTypeDigestFunc digest;
    RedisModuleTypeFreeFunc free;
    RedisModuleTypeAuxLoadFunc aux_load;
    RedisModuleTypeAuxSaveFunc aux_save;
    int aux_save_triggers;
    RedisModuleTypeFreeEffortFunc free_effort;
    RedisModuleTypeUnlinkFunc unlink;
    RedisModuleTypeCopyFunc copy;
    RedisModuleTypeDefragFunc defrag;
} RedisModuleTypeMethods;

/* X(return type, name without the RedisModule_ prefix, parameter list, REQ|OPT) */
#define RM_API_FUNCS(X)                                                                                      \
    X(void, SetModuleAttribs, (RedisModuleCtx * ctx, const char *name, int ver, int apiver), REQ)            \
    X(int, IsModuleNameBusy, (const char *name), REQ)                                                       \
    X(void *, Alloc, (size_t bytes), REQ)                                                                   \
    X(void *, Calloc, (size_t nmemb, size_t size), REQ)                                                     \
    X(void *, Realloc, (void *ptr, size_t bytes), REQ)                                                      \
    X(void, Free, (void *ptr), REQ)                                                                         \
    X(char *, Strdup, (const char *str), REQ)                                                               \
    X(size_t, MallocSize, (void *ptr), OPT)                                                                 \
    X(int, CreateCommand,                                                                                   \
      (RedisModuleCtx * ctx, const char *name, RedisModuleCmdFunc cmdfunc, const char *strflags,            \
       int firstkey, int lastkey, int keystep),                                                             \
      REQ)                                                                                                  \
    X(int, WrongArity, (RedisModuleCtx * ctx), REQ)                                                         \
    X(int, ReplyWithError, (RedisModuleCtx * ctx, const char *err), REQ)                                    \
    X(int, ReplyWithSimpleString, (RedisModuleCtx * ctx, const char *msg), REQ)                             \
    X(int, ReplyWithLongLong, (RedisModuleCtx * ctx, long long ll), REQ)                                    \
    X(int, ReplyWithDouble, (RedisModuleCtx * ctx, double d), REQ)                                          \
    X(int, ReplyWithStringBuffer, (RedisModuleCtx * ctx, const char *buf, size_t len), REQ)                 \
    X(int, ReplyWithCString, (RedisModuleCtx * ctx, const char *buf), REQ)                                  \
    X(int, ReplyWithString, (RedisModuleCtx * ctx, RedisModuleString * str), REQ)                           \
    X(int, ReplyWithArray, (RedisModuleCtx * ctx, long len), REQ)                                           \
    X(void, ReplySetArrayLength, (RedisModuleCtx * ctx, long len), REQ)                                     \
    X(int, ReplyWithNull, (RedisModuleCtx * ctx), REQ)                                                      \
    X(const char *, StringPtrLen, (const RedisModuleString *str, size_t *len), REQ)                         \
    X(int, StringToLongLong, (const RedisModuleString *str, long long *ll), REQ)                            \
    X(int, StringToDouble, (const RedisModuleString *str, double *d), REQ)                                  \
    X(RedisModuleString *, CreateString, (RedisModuleCtx * ctx, const char *ptr, size_t len), REQ)          \
    X(RedisModuleString *, CreateStringFromLongLong, (RedisModuleCtx * ctx, long long ll), REQ)             \
    X(void, FreeString, (RedisModuleCtx * ctx, RedisModuleString * str), REQ)                               \
    X(void, RetainString, (RedisModuleCtx * ctx, RedisModuleString * str), REQ)                             \
    X(RedisModuleString *, HoldString, (RedisModuleCtx * ctx, RedisModuleString * str), OPT)                \
    X(RedisModuleKey *, OpenKey, (RedisModuleCtx * ctx, RedisModuleString * keyname, int mode), REQ)        \
    X(void, CloseKey, (RedisModuleKey * kp), REQ)                                                           \
    X(int, KeyType, (RedisModuleKey * kp), REQ)                                                             \
    X(int, DeleteKey, (RedisModuleKey * kp), REQ)                                                           \
    X(RedisModuleType *, CreateDataType,                                                                    \
      (RedisModuleCtx * ctx, const char *name, int encver, RedisModuleTypeMethods *typemethods), REQ)       \
    X(RedisModuleType *, ModuleTypeGetType, (RedisModuleKey * key), REQ)                                    \
    X(void *, ModuleTypeGetValue, (RedisModuleKey * key), REQ)                                              \
    X(int, ModuleTypeSetValue, (RedisModuleKey * key, RedisModuleType * mt, void *value), REQ)              \
    X(int, ModuleTypeReplaceValue, (RedisModuleKey * key, RedisModuleType * mt, void *value, void **old),    \
      OPT)                                                                                                  \
    X(long long, GetExpire, (RedisModuleKey * key), REQ)                                                    \
    X(int, SetExpire, (RedisModuleKey * key, long long expire_ms), REQ)                                     \
    X(void, SaveUnsigned, (RedisModuleIO * io, uint64_t value), REQ)                                        \
    X(uint64_t, LoadUnsigned, (RedisModuleIO * io), REQ)                                                    \
    X(void, SaveSigned, (RedisModuleIO * io, int64_t value), REQ)                                           \
    X(int64_t, LoadSigned, (RedisModuleIO * io), REQ)                                                       \
    X(void, SaveStringBuffer, (RedisModuleIO * io, const char *str, size_t len), REQ)                       \
    X(char *, LoadStringBuffer, (RedisModuleIO * io, size_t *lenptr), REQ)                                  \
    X(void, SaveDouble, (RedisModuleIO * io, double value), REQ)                                            \
    X(double, LoadDouble, (RedisModuleIO * io), REQ)                                                        \
    X(int, IsIOError, (RedisModuleIO * io), REQ)                                                            \
    X(void, SetModuleOptions, (RedisModuleCtx * ctx, int options), REQ)                                     \
    X(void, LogIOError, (RedisModuleIO * io, const char *levelstr, const char *fmt, ...), REQ)              \
    X(void, EmitAOF, (RedisModuleIO * io, const char *cmdname, const char *fmt, ...), REQ)                  \
    X(void, DigestAddStringBuffer, (RedisModuleDigest * md, const char *ele, size_t len), REQ)              \
    X(void, DigestAddLongLong, (RedisModuleDigest * md, long long ele), REQ)                                \
    X(void, DigestEndSequence, (RedisModuleDigest * md), REQ)                                               \
    X(int, ReplicateVerbatim, (RedisModuleCtx * ctx), REQ)                                                  \
    X(int, Replicate, (RedisModuleCtx * ctx, const char *cmdname, const char *fmt, ...), REQ)               \
    X(void, Log, (RedisModuleCtx * ctx, const char *level, const char *fmt, ...), REQ)                      \
    X(RedisModuleCallReply *, Call, (RedisModuleCtx * ctx, const char *cmdname, const char *fmt, ...), REQ) \
    X(int, CallReplyType, (RedisModuleCallReply * reply), REQ)                                              \
    X(size_t, CallReplyLength, (RedisModuleCallReply * reply), REQ)                                         \
    X(long long, CallReplyInteger, (RedisModuleCallReply * reply), REQ)                                     \
    X(RedisModuleCallReply *, CallReplyArrayElement, (RedisModuleCallReply * reply, size_t idx), REQ)       \
    X(const char *, CallReplyStringPtr, (RedisModuleCallReply * reply, size_t *len), REQ)                   \
    X(void, FreeCallReply, (RedisModuleCallReply * reply), REQ)                                             \
    X(int, GetContextFlags, (RedisModuleCtx * ctx), REQ)                                                    \
    X(int, IsKeysPositionRequest, (RedisModuleCtx * ctx), REQ)                                              \
    X(void, KeyAtPos, (RedisModuleCtx * ctx, int pos), REQ)                                                 \
    X(RedisModuleBlockedClient *, BlockClient,                                                              \
      (RedisModuleCtx * ctx, RedisModuleCmdFunc reply_callback, RedisModuleCmdFunc timeout_callback,        \
       void (*free_privdata)(RedisModuleCtx *, void *), long long timeout_ms),                              \
      REQ)                                                                                                  \
    X(int, UnblockClient, (RedisModuleBlockedClient * bc, void *privdata), REQ)                             \
    X(void *, GetBlockedClientPrivateData, (RedisModuleCtx * ctx), REQ)                                     \
    X(void, SetDisconnectCallback, (RedisModuleBlockedClient * bc, RedisModuleDisconnectFunc callback), OPT) \
    X(RedisModuleCtx *, GetThreadSafeContext, (RedisModuleBlockedClient * bc), REQ)                         \
    X(void, FreeThreadSafeContext, (RedisModuleCtx * ctx), REQ)                                             \
    X(RedisModuleScanCursor *, ScanCursorCreate, (void), OPT)                                               \
    X(int, Scan, (RedisModuleCtx * ctx, RedisModuleScanCursor * cursor, RedisModuleScanCB fn, void *privdata), \
      OPT)                                                                                                   \
    X(void, ScanCursorDestroy, (RedisModuleScanCursor * cursor), OPT)                                       \
    X(int, RegisterInfoFunc, (RedisModuleCtx * ctx, RedisModuleInfoFunc cb), OPT)                           \
    X(RedisModuleTimerID, CreateTimer, (RedisModuleCtx * ctx, long long period, RedisModuleTimerProc cb, void *data), \
      OPT)                                                                                                   \
    X(int, SubscribeToServerEvent, (RedisModuleCtx * ctx, RedisModuleEvent event, RedisModuleEventCallback cb), \
      OPT)                                                                                                   \
    X(int, InfoAddSection, (RedisModuleInfoCtx * ctx, const char *name), OPT)                               \
    X(int, InfoAddFieldCString, (RedisModuleInfoCtx * ctx, const char *field, const char *value), OPT)      \
    X(int, InfoAddFieldLongLong, (RedisModuleInfoCtx * ctx, const char *field, long long value), OPT)       \
    X(void, ThreadSafeContextLock, (RedisModuleCtx * ctx), REQ)                                             \
    X(void, ThreadSafeContextUnlock, (RedisModuleCtx * ctx), REQ)                                           \
    X(long long, Milliseconds, (void), REQ)

#define RM_API_DECLARE(ret, name, args, req) extern ret(*RedisModule_##name) args;
RM_API_FUNCS(RM_API_DECLARE)
#undef RM_API_DECLARE

/* Fetch every API function by name and register the module. Returns REDISMODULE_OK, or REDISMODULE_ERR
 * when a required function is missing or the name is taken (the reason is logged through Redis when
 * possible). Call first thing in RedisModule_OnLoad. */
int rm_api_init(RedisModuleCtx *ctx, const char *name, int version);

#endif
