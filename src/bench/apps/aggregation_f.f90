! The producer side of the data-aggregation scaling application in Fortran (the consumer is always the
! C program, as in the SmartSim suite): each MPI rank builds a dataset of TPD real32 (1, n) arrays per
! iteration, puts it, appends it to "<session>.aggregation_list_<it>", and the next iteration waits until
! the consumer has marked the list consumed. Keys match aggregation.c exactly.
! Writes OUTDIR/rank_<r>_timing.csv ("rank,function,seconds").
!   locus_bench_aggregation_f producer ITERATIONS TENSOR_BYTES TPD THREADS PRODUCERS OUTDIR
program aggregation_f
  use, intrinsic :: iso_fortran_env, only: error_unit
  use mpi
  use locus
  implicit none
  type(locus_client) :: c
  type(locus_dataset) :: d
  integer :: rank, ierr, iterations, tpd, n, it, k, u, slash
  integer(8) :: bytes
  logical :: done
  character(len=4096) :: arg, outdir, path, session
  character(len=:), allocatable :: list, name, flag
  character(len=32) :: tname
  real(4), allocatable :: data(:, :)
  double precision, allocatable :: t_put(:), t_append(:)
  double precision :: a, b

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  if (command_argument_count() /= 7) then
     if (rank == 0) write (error_unit, '(a)') &
          'usage: locus_bench_aggregation_f producer ITERATIONS TENSOR_BYTES TPD THREADS PRODUCERS OUTDIR'
     call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  end if
  call get_command_argument(1, arg)
  if (trim(arg) /= 'producer') call fail('the Fortran application is a producer only, not '''//trim(arg)//'''')
  call get_command_argument(2, arg)
  read (arg, *) iterations
  call get_command_argument(3, arg)
  read (arg, *) bytes
  call get_command_argument(4, arg)
  read (arg, *) tpd
  call get_command_argument(7, outdir)
  slash = index(outdir, '/', back=.true.)
  session = outdir(slash + 1:)
  n = int(bytes / 4)
  allocate (data(1, n), t_put(iterations), t_append(iterations))

  call check(c%initialize(), 'client()')
  do it = 0, iterations - 1
     list = trim(session)//'.aggregation_list_'//itoa(it)
     name = trim(session)//'.aggregation_'//itoa(it)//'_rank_'//itoa(rank)
     flag = trim(session)//'.aggregation_consumed_'//itoa(it)
     call check(d%initialize(name), 'dataset initialize')
     do k = 0, tpd - 1
        data = real(rank + it + k, 4)
        write (tname, '(a,i0)') 'tensor_', k
        call check(d%add_tensor(trim(tname), data), 'add_tensor')
     end do
     a = MPI_Wtime()
     call check(c%put_dataset(d), 'put_dataset')
     b = MPI_Wtime()
     call check(c%append_to_list(list, d), 'append_to_list')
     t_append(it + 1) = MPI_Wtime() - b
     t_put(it + 1) = b - a
     call d%destroy()
     ! The next list waits until this one is consumed.
     call MPI_Barrier(MPI_COMM_WORLD, ierr)
     if (rank == 0) then
        call check(c%poll_tensor(flag, 5, 120000, done), 'waiting for the consumer')
        if (.not. done) call fail('the consumer did not take '//list)
        ierr = c%delete_tensor(flag)
     end if
     call MPI_Barrier(MPI_COMM_WORLD, ierr)
     ierr = c%delete_dataset(name)
  end do

  write (path, '(a,a,i0,a)') trim(outdir), '/rank_', rank, '_timing.csv'
  open (newunit=u, file=trim(path), status='replace', action='write', iostat=ierr)
  if (ierr /= 0) call fail('opening '//trim(path))
  do it = 1, iterations
     write (u, '(i0,a,f0.9)') rank, ',put_dataset,', t_put(it)
  end do
  do it = 1, iterations
     write (u, '(i0,a,f0.9)') rank, ',append_to_list,', t_append(it)
  end do
  close (u)
  call c%destroy()
  call MPI_Finalize(ierr)

contains

  function itoa(i) result(s)
    integer, intent(in) :: i
    character(len=:), allocatable :: s
    character(len=16) :: buf
    write (buf, '(i0)') i
    s = trim(buf)
  end function

  subroutine check(st, what)
    integer, intent(in) :: st
    character(len=*), intent(in) :: what
    if (st /= LOCUS_OK) call fail(what//': '//locus_last_error())
  end subroutine

  subroutine fail(what)
    character(len=*), intent(in) :: what
    integer :: e
    write (error_unit, '(a,i0,a,a)') 'rank ', rank, ': failed: ', what
    call MPI_Abort(MPI_COMM_WORLD, 1, e)
  end subroutine
end program
