"""The documented limits of a scenario file (docs/scenarios.md, "Limits").

Each one is far past what a real scenario needs and keeps a hostile or mistaken file from costing minutes
or gigabytes before it is refused; each refusal is a located error with exit status 2.
"""

from __future__ import annotations

from simulator.analysis import violations as _violations
from simulator.program import expressions as _expressions

#: A scenario file is at most this many bytes (64 MiB; a 100,000-thread scenario written with `repeat` is
#: about 10 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: At most this many nested mappings and lists (the deepest shipped scenario nests 12).
MAX_DEPTH = 100
#: At most this many values (scalars, lists and mappings, keys included) in the file: a 4 MB list of 2,000,000
#: numbers took a gigabyte and 17 s to read (so 64 MiB of them would take 16 GB). An explicit 100,000-thread
#: file holds 800,000.
MAX_NODES = 1_000_000
#: Aliases (`*name`) may add at most this many values to the file, counted expanded (an alias to a list of
#: 10 numbers adds 11). Stops "billion laughs" files, whose aliases multiply.
MAX_ALIAS_NODES = 100_000
#: Integers anywhere in a file, and integer literals in expressions, are signed 64-bit.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
#: CPUs of the machine, and servers of one device.
MAX_CPUS = 4096
MAX_SERVERS = 4096
#: Threads declared in one file, copies made by `count` included.
MAX_THREADS = 1_000_000
#: Threads and process instances that `spawn` and `fork` may start in one run, together (checked by the
#: kernel's steps: a spawn or fork past it is a misuse with no effect). A fork bomb took 5.7 GB at a million.
MAX_STARTED = 100_000
#: Queues of the mlfq policy.
MAX_MLFQ_QUEUES = 64
#: The product of the `times` of nested repeats (a thread's repeats, nested, run at most this many times).
MAX_REPEATS = 10**12
#: An expression's length in characters, how deeply its operations may nest, and how deeply parentheses,
#: `not` and unary `-` may nest (defined with the expression parser, which checks them).
MAX_EXPRESSION_LENGTH = _expressions.MAX_EXPRESSION_LENGTH
MAX_EXPRESSION_DEPTH = _expressions.MAX_EXPRESSION_DEPTH
MAX_EXPRESSION_NESTING = _expressions.MAX_EXPRESSION_NESTING

#: At run time (docs/scenarios.md, "Limits", the second table): the values a program computes are signed
#: 64-bit like the file's integers (an `overflow` violation past them), and a run lists at most this many
#: violations of each kind and subject (the last one listed counts the rest).
VALUE_MIN = _expressions.VALUE_MIN
VALUE_MAX = _expressions.VALUE_MAX
MAX_VIOLATIONS_PER_SUBJECT = _violations.MAX_VIOLATIONS_PER_SUBJECT
