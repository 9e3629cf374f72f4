// The tandem plugin for IntelliJ-based IDEs: the IDE glue (this project) and the plain-Java core
// (":core", no IntelliJ or LSP4IJ imports; also compiled and tested without Gradle by npm test).
rootProject.name = "tandem-jetbrains"

include(":core")
