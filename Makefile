# The two commands of the README.
.PHONY: run test

# Starts the chat application on http://127.0.0.1:8080 with its embedded
# database in ./data.
run:
	@scripts/deps.sh
	go run ./cmd/chat

# Runs every test (Go with -race, fuzzing, official-client interop).
test:
	scripts/test.sh
