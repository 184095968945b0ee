"""Chat (GAME.md §7): shards, room chat, whispers, history and mutes. Built with the chat issue."""
