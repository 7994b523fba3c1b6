module example.invalid/agent-policy/policy-ffi/go

go 1.19
