"""The PvP arena 시련의 장 (GAME.md §6): rooms, matches and ratings. Built with the arena issue."""
