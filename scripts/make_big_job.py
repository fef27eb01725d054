#!/usr/bin/env python3
"""Write a large `megakernel run` job (ATOMIC_ADD and STORE_U32 items over a few tenants),
for measuring the job reader and the bulk path on millions of items (docs/cli.md).

    scripts/make_big_job.py 1000000 > /tmp/job_1m.json
    /usr/bin/time -v megakernel run /tmp/job_1m.json --backend cpu --summary
"""
import sys


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    items_first = len(sys.argv) > 2 and sys.argv[2] == "--items-first"
    slots = (n + 63) // 64 * 64
    out = sys.stdout
    head = (f'"slot_count":{slots},"workgroup_size_x":64,"observables":4096,'
            '"tenants":[{"id":0,"admin":true},{"id":1,"window":[1024,1024]},'
            '{"id":2,"allow":["ATOMIC_ADD","STORE_U32"],"window":[2048,1024]},{"id":3,"window":[3072,1024]}]')
    out.write("{" + ("" if items_first else head + ",") + '"items":[\n')
    for i in range(n):
        tenant = i % 4
        if i % 3 == 0:
            item = f'{{"tenant":{tenant},"op":"STORE_U32","args":[{i % 1000},{i % 100000}]}}'
        else:
            item = f'{{"tenant":{tenant},"op":"ATOMIC_ADD","args":[{i % 1024},1]}}'
        out.write(item + (",\n" if i + 1 < n else "\n"))
    out.write("]" + ("," + head if items_first else "") + "}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
