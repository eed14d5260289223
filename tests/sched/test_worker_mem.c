/* The worker's memory-limit decisions (src/sched/live/worker_mem.c), fed text: /proc/self/cgroup and
 * /proc/self/mountinfo of a hybrid machine (this one's kind) and of a cgroup v2 one, the group directory from
 * a mount and its root, memory.events / memory.oom_control counts, the cgroup v2 plan from a group's files, the
 * --memory_limit names, and a job's limit under RLIMIT_AS (no file system touched). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "live/worker_mem.h"

static const char hybrid_cgroup[] = "9:name=systemd:/\n"
                                    "8:pids:/\n"
                                    "4:memory:/process_api/7c2a\n"
                                    "2:cpu,cpuacct:/a b\n"
                                    "0::/\n";
static const char hybrid_mounts[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/memory2 rw,relatime - cgroup cgroup rw,nomemory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
/* a container's cgroup2 mount whose root is its own group, a mount point with a space (\040) */
static const char v2_mounts[] = "24 18 0:22 / /proc rw - proc proc rw\n"
                                "25 18 0:23 /docker/abc /sys/fs/my\\040cg rw,nosuid shared:4 - cgroup2 cgroup2 "
                                "rw,nsdelegate\n";

int main(void)
{
    char a[WK_CG_PATH], b[WK_CG_PATH], why[512];

    CHECK(wk_cg_self_path(hybrid_cgroup, NULL, a, sizeof a) == 0 && strcmp(a, "/") == 0);
    CHECK(wk_cg_self_path(hybrid_cgroup, "memory", a, sizeof a) == 0 && strcmp(a, "/process_api/7c2a") == 0);
    CHECK(wk_cg_self_path(hybrid_cgroup, "cpuacct", a, sizeof a) == 0 && strcmp(a, "/a b") == 0);
    CHECK(wk_cg_self_path(hybrid_cgroup, "cpuset", a, sizeof a) == -1);
    CHECK(wk_cg_self_path("1:name=systemd:/x\n", NULL, a, sizeof a) == -1); /* no v2 line */
    CHECK(wk_cg_self_path("0::/user.slice/u.scope", NULL, a, sizeof a) == 0 && strcmp(a, "/user.slice/u.scope") == 0);
    CHECK(wk_cg_self_path("0::/a/very/long/path", NULL, a, 8) == -1); /* does not fit */

    CHECK(wk_cg_mount(hybrid_mounts, NULL, a, sizeof a, b, sizeof b) == 0 && strcmp(a, "/sys/fs/cgroup/unified") == 0 &&
          strcmp(b, "/") == 0);
    CHECK(wk_cg_mount(hybrid_mounts, "memory", a, sizeof a, b, sizeof b) == 0 &&
          strcmp(a, "/sys/fs/cgroup/memory") == 0);
    CHECK(wk_cg_mount(hybrid_mounts, "cpuset", a, sizeof a, b, sizeof b) == -1);
    CHECK(wk_cg_mount(v2_mounts, NULL, a, sizeof a, b, sizeof b) == 0 && strcmp(a, "/sys/fs/my cg") == 0 &&
          strcmp(b, "/docker/abc") == 0);
    CHECK(wk_cg_mount(v2_mounts, "memory", a, sizeof a, b, sizeof b) == -1);
    CHECK(wk_cg_mount("garbage line\n\n", NULL, a, sizeof a, b, sizeof b) == -1);

    CHECK(wk_cg_dir("/sys/fs/cgroup", "/", "/a/b", a, sizeof a) == 0 && strcmp(a, "/sys/fs/cgroup/a/b") == 0);
    CHECK(wk_cg_dir("/sys/fs/cgroup", "/", "/", a, sizeof a) == 0 && strcmp(a, "/sys/fs/cgroup") == 0);
    CHECK(wk_cg_dir("/m", "/docker/abc", "/docker/abc/job", a, sizeof a) == 0 && strcmp(a, "/m/job") == 0);
    CHECK(wk_cg_dir("/m", "/docker/abc", "/docker/abc", a, sizeof a) == 0 && strcmp(a, "/m") == 0);
    CHECK(wk_cg_dir("/m", "/docker/abc", "/docker/abcd", a, sizeof a) == -1); /* not under the root */
    CHECK(wk_cg_dir("/m", "/docker/abc", "/other", a, sizeof a) == -1);

    CHECK(wk_cg_key("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n", "oom_kill") == 2);
    CHECK(wk_cg_key("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n", "oom") == 3);
    CHECK(wk_cg_key("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", "oom_kill") == 1);
    CHECK(wk_cg_key("oom_kill_disable 0\nunder_oom 0\n", "oom_kill") == -1); /* a kernel before 4.13 */
    CHECK(wk_cg_has_word("cpuset cpu io memory pids\n", "memory") && !wk_cg_has_word("cpuset cpu io\n", "memory"));
    CHECK(!wk_cg_has_word("memoryx", "memory") && !wk_cg_has_word("", "memory"));

    /* the cgroup v2 plan */
    CHECK(wk_cg2_decide("hugetlb\n", "", "1\n2\n", 2, why, sizeof why) == WK_CG2_CANNOT &&
          strstr(why, "memory controller is not available") && strstr(why, "'hugetlb'"));
    CHECK(wk_cg2_decide("cpuset memory\n", "cpuset memory\n", "", 7, why, sizeof why) == WK_CG2_UNDER_NEW);
    CHECK(wk_cg2_decide("cpuset memory\n", "\n", "7\n", 7, why, sizeof why) == WK_CG2_MOVE_SELF);
    CHECK(wk_cg2_decide("cpuset memory\n", "\n", "", 7, why, sizeof why) == WK_CG2_MOVE_SELF);
    CHECK(wk_cg2_decide("cpuset memory\n", "cpu\n", "5\n7\n9\n", 7, why, sizeof why) == WK_CG2_CANNOT &&
          strstr(why, "2 other processes are in the worker's group") && strstr(why, "Delegate=yes"));
    CHECK(wk_cg2_decide("memory\n", "", "5\n", 7, why, sizeof why) == WK_CG2_CANNOT && strstr(why, "1 other process is"));

    /* the option and the names the status uses */
    CHECK(wk_mem_choice_parse("auto") == WK_MEMOPT_AUTO && wk_mem_choice_parse("cgroup") == WK_MEMOPT_CGROUP);
    CHECK(wk_mem_choice_parse("rlimit") == WK_MEMOPT_RLIMIT && wk_mem_choice_parse("none") == WK_MEMOPT_NONE);
    CHECK(wk_mem_choice_parse("cgroup1") == WK_MEMOPT_CGROUP1 && wk_mem_choice_parse("cgroup2") == WK_MEMOPT_CGROUP2);
    CHECK(wk_mem_choice_parse("Auto") == -1 && wk_mem_choice_parse("") == -1);
    CHECK(strcmp(wk_mem_kind_name(WK_MEM_CGROUP2), "cgroup2") == 0 &&
          strcmp(wk_mem_kind_name(WK_MEM_RLIMIT_AS), "rlimit_as") == 0 && strcmp(wk_mem_kind_name(WK_MEM_NONE), "none") == 0);

    /* a job's limit under RLIMIT_AS and none: GiB to bytes, no group, the worker's lower hard limit kept */
    wk_mem m;
    char err[512], note[256];
    CHECK(wk_mem_setup(&m, WK_MEMOPT_RLIMIT, err, sizeof err) == 0 && m.kind == WK_MEM_RLIMIT_AS);
    wk_job_mem jm;
    m.as_hard = -1;
    wk_mem_job_prepare(&m, 3, 1, 0.5, "0-1", &jm, note, sizeof note);
    CHECK(jm.kind == WK_MEM_RLIMIT_AS && jm.bytes == 536870912LL && jm.as_bytes == jm.bytes && !jm.group[0] &&
          jm.procs_fd == -1 && !note[0]);
    m.as_hard = 1000000;
    wk_mem_job_prepare(&m, 3, 1, 0.5, NULL, &jm, note, sizeof note);
    CHECK(jm.bytes == 536870912LL && jm.as_bytes == 1000000);
    wk_mem_job_prepare(&m, 3, 1, 0, NULL, &jm, note, sizeof note); /* mem_gb 0 or absent: no limit */
    CHECK(jm.kind == WK_MEM_NONE);
    wk_mem_job_prepare(&m, 3, 1, -1, NULL, &jm, note, sizeof note);
    CHECK(jm.kind == WK_MEM_NONE);
    wk_mem_job_prepare(&m, 3, 1, 1e30, NULL, &jm, note, sizeof note); /* huge: clamped, no overflow */
    CHECK(jm.bytes > 0 && jm.bytes <= 4000000000000000000LL);
    CHECK(wk_mem_job_ooms(&jm, note, sizeof note) == 0 && !note[0] && wk_mem_job_remove(&jm) == 0);
    CHECK(wk_mem_setup(&m, WK_MEMOPT_NONE, err, sizeof err) == 0 && m.kind == WK_MEM_NONE);
    wk_mem_job_prepare(&m, 3, 1, 2, NULL, &jm, note, sizeof note);
    CHECK(jm.kind == WK_MEM_NONE);
    return check_failed();
}
